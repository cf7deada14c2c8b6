/**
 * The guide's `LiveBadge` and `useLiveBadge`: a "Live" mark on an item that just
 * changed, fading in and, after `autoHideDuration`, out. Unstyled but for the fade
 * (opacity, skipped when the user prefers reduced motion); `data-size` and
 * `data-state` are there for the app's CSS.
 */
import { type ReactElement, useCallback, useEffect, useRef, useState } from 'react';
import { useLatest, useIsomorphicLayoutEffect } from '../tab/react-latest.ts';

/** How long a fade takes, in ms. */
const fadeMs = 300;

export interface LiveBadgeProps {
  /** Shown while true; hidden (faded out) when it turns false. @default true */
  show?: boolean;
  /** Hide by itself this long after showing, in ms; 0 never. @default 3000 */
  autoHideDuration?: number;
  /** Called once it hid by itself, so the app can reset `show`. */
  onHide?: () => void;
  /** @default 'md' */
  size?: 'sm' | 'md' | 'lg';
  /** @default 'Live' */
  label?: string;
  className?: string;
}

type Phase = 'hidden' | 'entering' | 'shown' | 'leaving';

export function LiveBadge({ show = true, autoHideDuration = 3000, onHide, size = 'md', label = 'Live', className }: LiveBadgeProps): ReactElement | null {
  const [phase, setPhase] = useState<Phase>('hidden');
  const element = useRef<HTMLSpanElement>(null);
  const hidden = useLatest(onHide);
  useEffect(() => {
    if (!show) return setPhase((now) => (now === 'hidden' ? now : 'leaving'));
    setPhase('entering');
    if (autoHideDuration <= 0) return;
    const timer = setTimeout(() => {
      setPhase('leaving');
      hidden.current?.();
    }, autoHideDuration);
    return () => clearTimeout(timer);
  }, [show, autoHideDuration, hidden]);
  useIsomorphicLayoutEffect(() => {
    // Styles computed at opacity 0 first, so the change to 1 is a transition.
    if (phase !== 'entering') return;
    void element.current?.offsetWidth;
    setPhase('shown');
  }, [phase]);
  useEffect(() => {
    if (phase !== 'leaving') return;
    const timer = setTimeout(() => setPhase('hidden'), reducedMotion() ? 0 : fadeMs);
    return () => clearTimeout(timer);
  }, [phase]);
  if (phase === 'hidden') return null;
  const style = { opacity: phase === 'shown' ? 1 : 0, transition: reducedMotion() ? undefined : `opacity ${fadeMs}ms` };
  return (
    <span ref={element} className={className} data-size={size} data-state={phase === 'shown' ? 'shown' : 'fading'} style={style}>
      {label}
    </span>
  );
}

function reducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

export interface LiveBadgeState {
  /** True from `triggerBadge()` until `autoHideDuration` later. */
  showBadge: boolean;
  /** Show the badge (again): the time starts over. */
  triggerBadge: () => void;
}

/** The guide's `useLiveBadge()`: `<LiveBadge show={showBadge} />`, and `triggerBadge()` when the item changes. */
export function useLiveBadge(autoHideDuration = 3000): LiveBadgeState {
  const [showBadge, setShowBadge] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const triggerBadge = useCallback(() => {
    clearTimeout(timer.current);
    setShowBadge(true);
    timer.current = setTimeout(() => setShowBadge(false), autoHideDuration);
  }, [autoHideDuration]);
  return { showBadge, triggerBadge };
}

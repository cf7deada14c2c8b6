/**
 * The guide's `GoalActivityFeed`: one goal's activities, newest first, seeded from
 * the worker's log (`broker.recent`, so a tab opened later shows what happened
 * before) and from `initialActivities`, then live. Bounded to `maxActivities`,
 * de-duplicated by `activityId` (an optimistic update and its event are one item).
 * New items are marked `data-new` for a few seconds; when the reader is not at the
 * top (or `autoScroll` is off) a "new activity" button says how many arrived and
 * takes them there. A WAI-ARIA feed: each item is focusable, Page Down / Page Up
 * move between them.
 */
import { type KeyboardEvent, type ReactElement, useEffect, useRef, useState } from 'react';
import type { GoalActivityCreated } from '../link/catalogue.ts';
import { useGoalActivity } from './goals.ts';
import { useBrokerFor, useRealtimeEnabled } from './provider.ts';

/** How long a new item stays marked `data-new`, in ms. */
const highlightMs = 3_000;
/** How many activities of every goal the log is asked for, to find this goal's. */
const logWindow = 500;

export interface GoalActivityFeedProps {
  goalId: string;
  /** What the app already fetched (e.g. over REST), merged with the log and live events. */
  initialActivities?: GoalActivityCreated[];
  /** The most kept and shown; older ones drop off. @default 50 */
  maxActivities?: number;
  /** Keep the newest in view when the reader is at the top. @default true */
  autoScroll?: boolean;
  className?: string;
}

type Item = GoalActivityCreated & { isNew?: boolean };

/** Newest first, one per activityId, at most `max`. */
function merge(items: Item[], added: Item[], max: number): Item[] {
  const byId = new Map<string, Item>();
  for (const item of [...added, ...items]) if (!byId.has(item.activityId)) byId.set(item.activityId, item);
  return [...byId.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)).slice(0, max);
}

/** One feed per goal: another `goalId` starts over. */
export function GoalActivityFeed(props: GoalActivityFeedProps): ReactElement {
  return <Feed key={props.goalId} {...props} />;
}

function Feed({ goalId, initialActivities = [], maxActivities = 50, autoScroll = true, className }: GoalActivityFeedProps): ReactElement {
  const [items, setItems] = useState<Item[]>(() => merge([], initialActivities, maxActivities));
  const loading = useSeedFromLog(goalId, maxActivities, setItems);
  const feed = useRef<HTMLDivElement>(null);
  const [unseen, setUnseen] = useState(0);
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
  const unmark = (activityId: string) => {
    const timer = setTimeout(() => {
      timers.current.delete(timer);
      setItems((now) => now.map((item) => (item.activityId === activityId ? { ...item, isNew: false } : item)));
    }, highlightMs);
    timers.current.add(timer);
  };
  useGoalActivity({
    goalId,
    onActivityCreated: (data) => {
      setItems((now) => merge(now, [{ ...data, isNew: true }], maxActivities));
      const atTop = (feed.current?.scrollTop ?? 0) <= 8;
      if (autoScroll && atTop) feed.current?.scrollTo?.({ top: 0 });
      else setUnseen((count) => count + 1);
      unmark(data.activityId);
    },
  });
  const showNewest = () => {
    feed.current?.scrollTo?.({ top: 0 });
    feed.current?.querySelector<HTMLElement>('article')?.focus();
    setUnseen(0);
  };
  return (
    <section className={className} aria-label="Goal activity">
      <div aria-live="polite">
        {unseen > 0 ? (
          <button type="button" onClick={showNewest}>
            {unseen === 1 ? '1 new activity' : `${unseen} new activities`}
          </button>
        ) : null}
      </div>
      <div ref={feed} role="feed" aria-busy={loading} aria-label="Activities" onKeyDown={moveFocus} onScroll={(event) => event.currentTarget.scrollTop <= 8 && setUnseen(0)}>
        {items.map((item, index) => (
          <ActivityItem key={item.activityId} item={item} position={index + 1} count={items.length} />
        ))}
      </div>
      {!loading && items.length === 0 ? <p>No activity yet.</p> : null}
    </section>
  );
}

function ActivityItem({ item, position, count }: { item: Item; position: number; count: number }): ReactElement {
  const titleId = `activity-${item.activityId}`;
  return (
    <article tabIndex={0} aria-posinset={position} aria-setsize={count} aria-labelledby={titleId} data-new={item.isNew ? 'true' : undefined} data-type={item.type}>
      <h4 id={titleId}>{item.title}</h4>
      <p>{item.content}</p>
      <footer>
        {item.createdBy} · <time dateTime={item.createdAt}>{new Date(item.createdAt).toLocaleString()}</time>
      </footer>
    </article>
  );
}

/** The feed pattern's keys: Page Down and Page Up move focus to the next and previous item. */
function moveFocus(event: KeyboardEvent<HTMLDivElement>): void {
  if (event.key !== 'PageDown' && event.key !== 'PageUp') return;
  const articles = [...event.currentTarget.querySelectorAll<HTMLElement>('article')];
  const at = articles.findIndex((article) => article.contains(document.activeElement));
  const next = articles[event.key === 'PageDown' ? at + 1 : Math.max(0, at - 1)];
  if (!next) return;
  event.preventDefault();
  next.focus();
}

/** Reads the goal's activities from the worker's log once per broker; true until it answered. */
function useSeedFromLog(goalId: string, max: number, setItems: (update: (items: Item[]) => Item[]) => void): boolean {
  const broker = useBrokerFor<{ 'goal.activity.created': GoalActivityCreated }>('GoalActivityFeed');
  const enabled = useRealtimeEnabled();
  const [answered, setAnswered] = useState(false);
  useEffect(() => {
    if (!broker || !enabled) return;
    let live = true;
    broker.recent({ type: 'goal.activity.created', limit: logWindow }).then(
      (events) => {
        if (!live) return;
        setItems((now) => merge(now, events.map((event) => event.data).filter((data) => data.goalId === goalId), max));
        setAnswered(true);
      },
      () => live && setAnswered(true),
    );
    return () => {
      live = false;
    };
  }, [broker, enabled, goalId, max, setItems]);
  return Boolean(broker && enabled) && !answered;
}

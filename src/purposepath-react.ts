/**
 * `tabwire/purposepath/react`: the React API of PurposePath's frontend guide, with
 * the shapes, names and vocabulary it documents, built on the public hooks of
 * `tabwire/react`. An app written from the guide migrates by changing its imports
 * and putting `<RealtimeProvider>` where its own realtime context was
 * (docs/purposepath.md). Handlers may change on every render without resubscribing.
 */
export { RealtimeProvider, type RealtimeProviderProps, useRealtime, type RealtimeContextValue } from './purposepath/provider.ts';
export type { ConnectionStatus } from './purposepath/status.ts';
export { useRealtimeConnection, type RealtimeConnection } from './purposepath/connection.ts';
export { useRealtimeEvent, type RealtimeEventOptions, type GuideEventOf } from './purposepath/events.ts';
export type { ReadingEvent, ReadingName } from './purposepath/event-names.ts';
export { useRealtimeGoals, type RealtimeGoalsHandlers, useGoalActivity, type GoalActivityOptions } from './purposepath/goals.ts';
export { RealtimeIndicator, type RealtimeIndicatorProps } from './purposepath/realtime-indicator.tsx';
export { LiveBadge, type LiveBadgeProps, useLiveBadge, type LiveBadgeState } from './purposepath/live-badge.tsx';
export { GoalActivityFeed, type GoalActivityFeedProps } from './purposepath/goal-activity-feed.tsx';
export { RealtimeDebugPanel, type RealtimeDebugPanelProps } from './purposepath/realtime-debug-panel.tsx';
/** The event catalogue's payload types (`GoalCreated`, `MeasureReadingCreated`…), for the app's own handlers. */
export type * from './link/catalogue.ts';

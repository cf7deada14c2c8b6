/**
 * The name of the broker of one build and one app's connection: its SharedWorker's name, its
 * leader's channels and lock. Tabs build it; the worker reads its build back from its own name,
 * and a tab reads the names newer builds announce. This module owns the format.
 */
import { appIdentity } from './app-identity.ts';
import type { BrokerConfig } from './messages.ts';

const prefix = 'tabwire|';

/**
 * `tabwire|<build>|<url>|<app>` (`appIdentity`: endpoint, account, replay URL, tenant, protocol,
 * as a hash: never the session key nor the tenant in clear).
 */
export const hostName = (buildId: string, config: BrokerConfig): string => `${prefix}${buildId}|${config.url}|${appIdentity(config)}`;

/** Whether `name` is one `hostName` built (a worker an app's own factory started may have another, or none). */
export const isHostName = (name: string): boolean => name.startsWith(prefix);

/** The build a name `hostName` built carries; undefined for any other name. */
export const buildOfHostName = (name: string): string | undefined => (isHostName(name) ? name.split('|')[1] : undefined);

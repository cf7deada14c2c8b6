/**
 * Type tests of the trust additions, checked by `tsc`: `sessionKey` is a
 * string option, the worker's config carries only its hash as a string, and a
 * token answer may say "cannot" (n: 1) only when it is not ok.
 */
import { expectTypeOf } from 'vitest';
import type { ConnectOptions } from '../../src/index.ts';
import type { BrokerConfig, TabAnswer } from '../../src/link/messages.ts';
import { sanitizeBrokerConfig } from '../../src/broker/broker-config.ts';

expectTypeOf<ConnectOptions['sessionKey']>().toEqualTypeOf<string | undefined>();
expectTypeOf<BrokerConfig['sessionKey']>().toEqualTypeOf<string | undefined>();
expectTypeOf(sanitizeBrokerConfig).parameter(0).toEqualTypeOf<unknown>();
expectTypeOf(sanitizeBrokerConfig).returns.toEqualTypeOf<BrokerConfig>();

const cannot: TabAnswer = { k: 'ans', id: 1, ok: false, n: 1, e: { code: 'TOKEN_UNAVAILABLE', message: 'none here' } };
void cannot;
// @ts-expect-error "cannot" is never a successful answer
const wrong: TabAnswer = { k: 'ans', id: 1, ok: true, n: 1 };
void wrong;
// @ts-expect-error the flag has one value
const two: TabAnswer = { k: 'ans', id: 1, ok: false, n: 2, e: { code: 'TOKEN_UNAVAILABLE', message: '' } };
void two;

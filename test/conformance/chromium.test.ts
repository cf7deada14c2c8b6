import { conformance } from './conformance.ts';

conformance('chromium');

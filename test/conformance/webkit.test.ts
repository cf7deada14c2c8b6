import { conformance } from './conformance.ts';

conformance('webkit');

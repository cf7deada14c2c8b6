import { conformance } from './conformance.ts';

conformance('firefox');

/** `tabwire/react`: the React bindings (src/tab/react.ts). */
export * from './tab/react.ts';

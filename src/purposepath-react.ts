/** `tabwire/purposepath/react`: PurposePath's frontend-guide hooks (src/purposepath/react.ts). */
export * from './purposepath/react.ts';

declare const __TABWIRE_BUILD__: string | undefined;

/** The build of tabwire this code came from (baked in by the build, 'dev' from source); brokers of another build never serve it silently. */
export const tabwireBuild: string = typeof __TABWIRE_BUILD__ === 'string' ? __TABWIRE_BUILD__ : 'dev';

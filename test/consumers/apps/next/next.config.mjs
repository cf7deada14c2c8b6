const root = import.meta.dirname;

// Two builds side by side (Turbopack and webpack): NEXT_DIST_DIR says which one.
export default { distDir: process.env.NEXT_DIST_DIR ?? '.next', turbopack: { root }, outputFileTracingRoot: root };

// Style sheets the page imports for esbuild to bundle (docs/dashboard.md §1): no value, only the effect.
declare module "*.css";

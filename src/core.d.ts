/** The compiled core: the bundler (esbuild, or the test runner's plugin) supplies its bytes. */
declare module 'virtual:maple-core' {
  const bytes: Uint8Array;
  export default bytes;
}

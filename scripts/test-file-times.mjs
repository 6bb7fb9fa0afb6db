// A node:test reporter that writes one line per test file, "<ms> <path>",
// with the file's wall time (its process's start-up included): what
// scripts/run-tests.mjs lists as the slowest files.
export default async function* fileTimes(source) {
  for await (const event of source) {
    if (event.type !== 'test:complete') continue;
    const { file, name, nesting, details } = event.data;
    // The runner reports each file as a test of its own, named by its path.
    if (nesting === 0 && file && name === file) yield `${Math.round(details.duration_ms)} ${file}\n`;
  }
}

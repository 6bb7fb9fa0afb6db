/** A bad option, named: thrown once, when the verifier is created. */
export function fail(option: string, problem: string): never {
  throw new TypeError(`@tollgate/resource-server: option "${option}" ${problem}`);
}

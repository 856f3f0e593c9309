// The package's version, as package.json says it (docs/api.md §1): what vm.get_version, the OpenAPI
// document and `selfman --version` report. Read once, at load.
import { readFileSync } from "node:fs";

function read(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === "string" ? version : "unknown";
}

export const PACKAGE_VERSION = read();

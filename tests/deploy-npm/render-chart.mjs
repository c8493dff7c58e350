// Renders a Helm chart with Go's own text/template engine (compiled to WebAssembly) and checks
// every manifest against the Kubernetes schemas (kubernetes-models; the ServiceMonitor against
// the Prometheus operator's). No Helm here: this renders as `helm template` does for a chart
// that uses Go's built-in functions only (values.yaml says ours does): the partials (_*.tpl)
// share one template set with each manifest, the values are values.yaml deep-merged with the
// overrides, `.Chart` has Chart.yaml's fields capitalised, `.Release` is an install. Stricter
// than Helm: a missing value is an error (this engine runs with missingkey=error; Helm prints
// nothing), so values.yaml must name every value the templates read. What it does not do:
// Sprig and Helm's own functions (include, tpl, required, toYaml...) and values.schema.json
// (tests/deploy checks the values against it).
//
//   node render-chart.mjs CHART_DIR [OVERRIDES.json]   ->  JSON on stdout:
//   {"manifests": [{"template", "object"}], "notes", "errors": [...]}
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { parse as render } from "@evertdespiegeleer/go-template";
import { parseAllDocuments, parse as parseYaml } from "yaml";

const [chartDir, overridesFile] = process.argv.slice(2);
if (!chartDir) {
  console.error("usage: node render-chart.mjs CHART_DIR [OVERRIDES.json]");
  process.exit(2);
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

// Helm's coalescing of user values over the chart's: maps merge key by key, the rest replaces.
function merge(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(base[k]) ? merge(base[k], v) : v;
  return out;
}

function capitalised(chart) {
  return Object.fromEntries(Object.entries(chart).map(([k, v]) => [k[0].toUpperCase() + k.slice(1), v]));
}

// kubernetes-models module of an apiVersion ("v1", "apps/v1", "monitoring.coreos.com/v1").
async function modelFor(apiVersion, kind) {
  const where = apiVersion.startsWith("monitoring.coreos.com/")
    ? `@kubernetes-models/prometheus-operator/${apiVersion}`
    : `kubernetes-models/${apiVersion}`;
  const module = await import(where).catch(() => null);
  return module?.[kind] ?? null;
}

const chart = capitalised(parseYaml(await readFile(path.join(chartDir, "Chart.yaml"), "utf8")));
let values = parseYaml(await readFile(path.join(chartDir, "values.yaml"), "utf8")) ?? {};
if (overridesFile) values = merge(values, JSON.parse(await readFile(overridesFile, "utf8")));
const context = {
  Values: values,
  Chart: chart,
  Release: { Name: "de", Namespace: "default", Service: "Helm", IsInstall: true, IsUpgrade: false, Revision: 1 },
};

const templatesDir = path.join(chartDir, "templates");
const files = (await readdir(templatesDir)).sort();
let partials = "";
for (const f of files.filter((f) => f.startsWith("_"))) partials += await readFile(path.join(templatesDir, f), "utf8");

// The package's parse() loads the engine once; its Render answers errors as text, kept whole here.
await render("", {});
const engine = globalThis.Render;

const result = { manifests: [], notes: "", errors: [] };
for (const f of files.filter((f) => !f.startsWith("_"))) {
  const text = engine(partials + (await readFile(path.join(templatesDir, f), "utf8")), JSON.stringify(context));
  if (/^(Template (exec|parse) error|JSON parse error):/.test(text)) {
    result.errors.push(`${f}: ${text}`);
    continue;
  }
  if (f === "NOTES.txt") {
    result.notes = text.trim();
    continue;
  }
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      result.errors.push(`${f}: not YAML: ${doc.errors.map((e) => e.message).join("; ")}\n${text}`);
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue;  // an empty document (a disabled template)
    const Model = await modelFor(object.apiVersion, object.kind);
    if (!Model) {
      result.errors.push(`${f}: no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (e) {
      result.errors.push(`${f}: ${object.kind} does not match the Kubernetes schema: ${e.message}`);
    }
    result.manifests.push({ template: f, object });
  }
}
process.stdout.write(JSON.stringify(result, null, 1) + "\n");

// The Kubernetes API's own schemas, from the @kubernetes-models/* packages (generated from the API server's
// OpenAPI document), applied to the example manifests in two ways that together match what `kubectl apply`
// does with its default strict field validation:
// - the JSON Schema validators (types, formats, required fields, enums), through each model's validate();
// - every field known: the compiled validators ignore fields they do not define, so each document is also
//   typechecked as an object literal of the model's TypeScript interface (I<Kind>), whose excess-property
//   check names a misspelled or invented field with its path, as the API server's "unknown field" does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { REPO } from '../helpers/memshim.js';

export interface Manifest {
  /** The file, relative to the repository. */
  file: string;
  /** Position in the file, from 0. */
  index: number;
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
}

/** Every document of a YAML file; a YAML error is thrown with the file's name. */
export function readManifests(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(join(REPO, file), 'utf8'));
  if (!Array.isArray(docs)) return [];
  return docs.map((doc, index) => {
    if (doc.errors.length > 0)
      throw new Error(`${file}, document ${index}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const object = doc.toJS() as Record<string, unknown>;
    return { file, index, apiVersion: String(object.apiVersion), kind: String(object.kind), object };
  });
}

/** The module of the model for an apiVersion and kind: the core API's, or a CRD package's (PodMonitor). */
export function modelModule(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  const packageName =
    group === 'monitoring.coreos.com' ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
  return `${packageName}/${apiVersion}/${kind}`;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** The schema's errors for one manifest (none: []), from the model's JSON Schema validator. */
export async function schemaErrors(manifest: Manifest): Promise<string[]> {
  const module = (await import(modelModule(manifest.apiVersion, manifest.kind))) as Record<
    string,
    ModelClass | undefined
  >;
  const Model = module[manifest.kind];
  if (!Model) return [`no model ${manifest.kind} in ${modelModule(manifest.apiVersion, manifest.kind)}`];
  try {
    new Model(manifest.object).validate();
    return [];
  } catch (error) {
    const details = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    return details?.map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`) ?? [String(error)];
  }
}

/**
 * The TypeScript errors of every manifest as a literal of its model's interface: unknown fields (with the
 * path to them), wrong types, missing required fields. One program for all, so the types load once.
 */
export function fieldErrors(manifests: Manifest[]): Map<Manifest, string[]> {
  const virtual = join(REPO, 'test', 'examples', '__manifests__.ts');
  const lines: string[] = [];
  const starts: number[] = [];
  manifests.forEach((manifest, i) => {
    starts.push(lines.length);
    lines.push(
      `import type { I${manifest.kind} as T${i} } from ${JSON.stringify(modelModule(manifest.apiVersion, manifest.kind))};`,
    );
    lines.push(`export const m${i}: T${i} = ${JSON.stringify(manifest.object, null, 2)};`);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === virtual ? ts.createSourceFile(name, source, language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === virtual || fileExists.call(host, name);
  host.readFile = (name) => (name === virtual ? source : readFile.call(host, name));
  const program = ts.createProgram([virtual], options, host);
  const errors = new Map<Manifest, string[]>(manifests.map((m) => [m, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const file = diagnostic.file;
    if (!file || file.fileName !== virtual || diagnostic.start === undefined) {
      // An error outside the manifests (a package's types not found): every manifest is unchecked.
      for (const list of errors.values()) list.push(`${file?.fileName ?? 'typescript'}: ${text}`);
      continue;
    }
    const line = file.getLineAndCharacterOfPosition(diagnostic.start).line;
    const i = starts.filter((start) => start <= line).length - 1;
    errors.get(manifests[i]!)!.push(`${pathAt(file, diagnostic.start)}: ${text}`);
  }
  return errors;
}

/** The JSON path (/spec/template/...) of the innermost property or element at `position` in a literal. */
function pathAt(file: ts.SourceFile, position: number): string {
  const parts: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && ts.isStringLiteral(node.name)) parts.push(node.name.text);
    if (ts.isArrayLiteralExpression(node)) {
      const index = node.elements.findIndex(
        (element) => element.getStart(file) <= position && position < element.getEnd(),
      );
      if (index >= 0) parts.push(String(index));
    }
    const child = node.getChildren(file).find((c) => c.getStart(file) <= position && position < c.getEnd());
    if (child) visit(child);
  };
  visit(file);
  return `/${parts.join('/')}`;
}

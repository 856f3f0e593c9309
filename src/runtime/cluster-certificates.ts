// The cluster's certificates (docs/live-runtime.md §3): a P-256 certificate authority per cluster
// and one certificate per member, named by the member's stable node name (not its ring id, which may
// change). A cluster directory holds ca.crt, ca.key and certs/<name>.{crt,key}; keys are written
// readable by their owner only. Only what this CA signed can connect to the cluster's nodes.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as x509 from "@peculiar/x509";
import type { TlsMaterial } from "./transport.js";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
/** node:crypto's WebCrypto, as the x509 library types it (the DOM's Crypto). */
const crypto = webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0];
x509.cryptoProvider.set(crypto);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const VALID_YEARS = 10;
/** A member name: what certificates carry and what logs and /status show. */
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface ClusterCa {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

function validity(): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore);
  notAfter.setFullYear(notAfter.getFullYear() + VALID_YEARS);
  return { notBefore, notAfter };
}

function serialNumber(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString("hex");
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPair(privatePem: string, cert: x509.X509Certificate): Promise<CryptoKeyPair> {
  const body = privatePem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  const privateKey = await webcrypto.subtle.importKey("pkcs8", Buffer.from(body, "base64"), ALGORITHM, true, [
    "sign",
  ]);
  const publicKey = (await cert.publicKey.export(ALGORITHM, ["verify"], crypto)) as unknown as CryptoKey;
  return { privateKey, publicKey };
}

async function createCa(clusterName: string): Promise<ClusterCa> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${clusterName} cluster CA`,
    ...validity(),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

/** A member certificate signed by `ca`, for both ends of TLS (server and client authentication). */
async function issueMemberCertificate(
  ca: ClusterCa,
  name: string,
): Promise<{ certPem: string; keyPem: string }> {
  if (!NODE_NAME.test(name))
    throw new RangeError(`node name ${JSON.stringify(name)} does not match ${NODE_NAME}`);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${name}`,
    issuer: ca.cert.subject,
    ...validity(),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: name }]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}

const caCertPath = (dir: string) => path.join(dir, "ca.crt");
const caKeyPath = (dir: string) => path.join(dir, "ca.key");
const memberPath = (dir: string, name: string, ext: "crt" | "key") =>
  path.join(dir, "certs", `${name}.${ext}`);

async function exists(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}

async function writePrivate(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * Makes `dir` a cluster directory: a new CA unless one is there already, and a certificate for each
 * name that has none. Returns the names it issued now.
 */
export async function initClusterDir(
  dir: string,
  clusterName: string,
  names: readonly string[],
): Promise<string[]> {
  await mkdir(path.join(dir, "certs"), { recursive: true, mode: 0o700 });
  let ca: ClusterCa;
  if (await exists(caCertPath(dir))) {
    const cert = new x509.X509Certificate(await readFile(caCertPath(dir), "utf8"));
    ca = { cert, keys: await importKeyPair(await readFile(caKeyPath(dir), "utf8"), cert) };
  } else {
    ca = await createCa(clusterName);
    await writeFile(caCertPath(dir), ca.cert.toString("pem"));
    await writePrivate(caKeyPath(dir), await keyPem(ca.keys.privateKey));
  }
  const issued: string[] = [];
  for (const name of names) {
    if (await exists(memberPath(dir, name, "crt"))) continue;
    const { certPem, keyPem: key } = await issueMemberCertificate(ca, name);
    await writeFile(memberPath(dir, name, "crt"), certPem);
    await writePrivate(memberPath(dir, name, "key"), key);
    issued.push(name);
  }
  return issued;
}

/** What member `name` of the cluster in `dir` needs for TLS; a clear error if it is missing. */
export async function loadMemberTls(dir: string, name: string): Promise<TlsMaterial> {
  const files = [caCertPath(dir), memberPath(dir, name, "crt"), memberPath(dir, name, "key")];
  const [ca, cert, key] = await Promise.all(
    files.map((file) =>
      readFile(file, "utf8").catch(() => {
        throw new Error(
          `${file} is missing: run \`selfman cluster init --dir ${dir}\` (with this node's name)`,
        );
      }),
    ),
  );
  return { ca: ca as string, cert: cert as string, key: key as string };
}

/** The TLS of one node hosted in a process (node-host.ts), and the name its certificate carries. */
export interface HostedTls {
  readonly material: TlsMaterial;
  readonly certName: string;
}

/**
 * The TLS of node `name` hosted in the process of member `processName`: its own certificate if the
 * cluster directory has one (`selfman cluster init` issued it), else the process's, under whose name it
 * then speaks in its handshake. A process is one unit of trust: its nodes share its key, and sharing the
 * certificate lets a process host more nodes than were named when the certificates were made.
 */
export async function loadHostedTls(dir: string, processName: string, name: string): Promise<HostedTls> {
  const own = await loadMemberTls(dir, name).catch(() => null);
  if (own !== null) return { material: own, certName: name };
  return { material: await loadMemberTls(dir, processName), certName: processName };
}

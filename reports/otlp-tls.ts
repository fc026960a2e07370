/**
 * The PEM files the OpenTelemetry certificate variables name, read once
 * when the OTLP exporter starts (as the OpenTelemetry SDKs read them: a
 * renewed certificate is picked up at the next start). A file that cannot
 * be read or parsed is one line naming its variable, and the export goes
 * on without it.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { OtlpTls, PemFile } from '../agent/config-types';
import { quote } from '../agent/endpoint';

/** What `https.request` takes of them. */
export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code !== undefined && e.code.startsWith('E') && !e.code.startsWith('ERR_') ? e.code : String(e?.message);
}

/**
 * @param say one line per unusable file, whatever the debug mode
 * @returns the options for each request; empty when nothing could be used
 */
export function loadOtlpTls(tls: OtlpTls, say: (line: string) => void): TlsOptions {
  const out: TlsOptions = {};
  const read = (f: PemFile): string => {
    const text = readFileSync(f.file, 'utf8');
    if (!text.includes('-----BEGIN ')) throw new Error('no PEM block in it');
    return text;
  };
  if (tls.ca !== null) {
    try {
      const ca = read(tls.ca);
      // Parses the first certificate: garbage between PEM markers would be
      // ignored by the TLS layer, and every collector then refused.
      new X509Certificate(ca);
      out.ca = ca;
    } catch (err) {
      say(
        `${tls.ca.variable}=${quote(tls.ca.file)} cannot be used (${why(err)}); expected a PEM file of CA certificates; the collector is verified against Node's trusted CAs`,
      );
    }
  }
  if (tls.client !== null) {
    const { cert, key } = tls.client;
    try {
      const c = read(cert);
      try {
        const k = read(key);
        // A key that is not the certificate's fails here, not at each export.
        createSecureContext({ cert: c, key: k });
        out.cert = c;
        out.key = k;
      } catch (err) {
        say(
          `${key.variable}=${quote(key.file)} cannot be used with ${cert.variable} (${why(err)}); expected the PEM private key of that certificate; no client certificate sent`,
        );
      }
    } catch (err) {
      say(
        `${cert.variable}=${quote(cert.file)} cannot be used (${why(err)}); expected a PEM client certificate; no client certificate sent`,
      );
    }
  }
  return out;
}

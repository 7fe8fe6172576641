import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { validateXML } from "xmllint-wasm";

/** The committed DASH MPD schema (pipeline/schemas/dash, see its README): never fetched at test time. */
const SCHEMAS = fileURLToPath(new URL("../../schemas/dash/", import.meta.url));
/** DASH-MPD.xsd imports xlink.xsd by its W3C address; libxml2 here has no network, so it reads the copy beside it. */
const XLINK_URL = "http://www.w3.org/XML/2008/06/xlink.xsd";

let schema: Promise<{ mpd: string; xlink: Uint8Array; xml: Uint8Array }> | undefined;

function load() {
  schema ??= Promise.all([
    readFile(`${SCHEMAS}DASH-MPD.xsd`, "utf8"),
    readFile(`${SCHEMAS}xlink.xsd`),
    readFile(`${SCHEMAS}xml.xsd`),
  ]).then(([mpd, xlink, xml]) => {
    if (!mpd.includes(`schemaLocation="${XLINK_URL}"`))
      throw new Error("DASH-MPD.xsd no longer imports xlink.xsd from W3C");
    return { mpd: mpd.replace(XLINK_URL, "xlink.xsd"), xlink, xml };
  });
  return schema;
}

/** Validates an MPD against ISO/IEC 23009-1's schema with libxml2 (xmllint compiled to WebAssembly). */
export async function validateMpd(xml: string): Promise<{ valid: boolean; errors: string[] }> {
  const s = await load();
  const r = await validateXML({
    xml: [{ fileName: "manifest.mpd", contents: xml }],
    schema: [{ fileName: "DASH-MPD.xsd", contents: s.mpd }],
    preload: [
      { fileName: "xlink.xsd", contents: s.xlink },
      { fileName: "xml.xsd", contents: s.xml },
    ],
  });
  return { valid: r.valid, errors: r.errors.map((e) => e.rawMessage) };
}

/** One Maven coordinate to fetch; `type` is "jar" unless given. */
export interface MavenDependency {
  groupId: string;
  artifactId: string;
  version: string;
  type?: string;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A throwaway POM whose only job is to let `mvn dependency:copy-dependencies` gather jars. */
export function renderFetchPom(artifactId: string, deps: readonly MavenDependency[]): string {
  const lines = deps.map(
    (d) =>
      `    <dependency><groupId>${escapeXml(d.groupId)}</groupId><artifactId>${escapeXml(d.artifactId)}</artifactId>` +
      `<version>${escapeXml(d.version)}</version>${d.type ? `<type>${escapeXml(d.type)}</type>` : ""}</dependency>`,
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    "  <modelVersion>4.0.0</modelVersion>",
    "  <groupId>reeltime.local</groupId>",
    `  <artifactId>${escapeXml(artifactId)}</artifactId>`,
    "  <version>1</version>",
    "  <packaging>pom</packaging>",
    "  <dependencies>",
    ...lines,
    "  </dependencies>",
    "</project>",
    "",
  ].join("\n");
}

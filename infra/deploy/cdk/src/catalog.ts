import { Aws, type Stack } from "aws-cdk-lib";
import { CfnWorkGroup } from "aws-cdk-lib/aws-athena";
import { CfnDatabase, CfnTable } from "aws-cdk-lib/aws-glue";
import { glueTables } from "./glue-tables.ts";
import type { CommonParameters } from "./params.ts";
import type { Storage } from "./storage.ts";

const PARQUET = {
  inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
  serdeInfo: { serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
};

/** Glue database and tables (from the contract, with partition projection) and the Athena workgroup. */
export function catalog(stack: Stack, p: CommonParameters, s: Storage) {
  const database = new CfnDatabase(stack, "Database", {
    catalogId: Aws.ACCOUNT_ID,
    databaseInput: { name: p.database.valueAsString, description: "reeltime Parquet archive" },
  });
  const bucket = s.archive.bucketName;
  const tables = glueTables().map((t) => {
    const table = new CfnTable(
      stack,
      `Table${t.name.replaceAll(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase())}`,
      {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: p.database.valueAsString,
        tableInput: {
          name: t.name,
          tableType: "EXTERNAL_TABLE",
          parameters: {
            ...Object.fromEntries(
              Object.entries(t.parameters).map(([k, v]) => [k, v.replaceAll("{{bucket}}", bucket)]),
            ),
            classification: "parquet",
            EXTERNAL: "TRUE",
          },
          partitionKeys: t.partitionKeys,
          storageDescriptor: { ...PARQUET, columns: t.columns, location: `s3://${bucket}/${t.prefix}` },
        },
      },
    );
    table.node.addDependency(database);
    return { name: t.name, table };
  });
  const workgroup = new CfnWorkGroup(stack, "Workgroup", {
    name: p.workgroup.valueAsString,
    description: "reeltime analysts: results encrypted, bytes scanned per query capped",
    state: "ENABLED",
    recursiveDeleteOption: true,
    workGroupConfiguration: {
      enforceWorkGroupConfiguration: true,
      publishCloudWatchMetricsEnabled: true,
      bytesScannedCutoffPerQuery: p.scanCutoffBytes.valueAsNumber,
      engineVersion: { selectedEngineVersion: "AUTO" },
      resultConfiguration: {
        outputLocation: `s3://${s.results.bucketName}/results/`,
        encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKey: s.key.keyArn },
      },
    },
  });
  return { database, tables, workgroup };
}

export type Catalog = ReturnType<typeof catalog>;

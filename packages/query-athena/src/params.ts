// Athena binds ExecutionParameters as Trino binds `EXECUTE … USING`: each parameter is the text
// of a SQL literal inserted at its `?`. The rules live in @reeltime/connectors/adapter, shared
// with @reeltime/query-trino, so both engines bind exactly the same way.
export { placeholders, trinoLiteral as athenaLiteral } from "@reeltime/connectors/adapter";

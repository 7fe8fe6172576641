import { Type } from "@sinclair/typebox";
import { Bytes, Count, Id, Keyword, LongText, Obj, PRIVATE, ShortText } from "../common.ts";
import { defineEvent, Video } from "../envelope.ts";

/** How a completed upload was observed: the upload API completed it, or the S3 server notified. */
export const UPLOAD_SOURCES = ["api", "bucket-notification"] as const;

/** One upload of a source video, from the multipart upload's start to its completed object. */
export const Upload = Obj({
  id: Id,
  bucket: Type.Optional(ShortText()),
  key: LongText({ description: "the source object's key in the uploads bucket" }),
  version: Type.Optional(
    ShortText({ description: "the object version (S3 VersionId, or its ETag where versioning is off)" }),
  ),
  bytes: Type.Optional(Bytes()),
  content_type: Type.Optional(Type.String({ maxLength: 128 })),
  parts: Type.Optional(Count("number of multipart parts")),
  checksum_sha256: Type.Optional(
    Type.String({ pattern: "^[A-Za-z0-9+/]{43}=$", description: "base64 SHA-256 of the whole object" }),
  ),
  source: Type.Optional(Keyword(UPLOAD_SOURCES)),
  error: Type.Optional(Obj({ code: ShortText(), message: LongText() })),
});

/** Who uploaded: the catalogue keeps it, the notifier writes to it. The email never reaches search. */
export const Owner = Obj({
  id: Type.Optional(Id),
  email: Type.Optional(
    Type.String({ pattern: "^[^@\\s]+@[^@\\s]+$", maxLength: 254, [PRIVATE]: true, description: "an email address" }),
  ),
});

const uploadFields = { upload: Upload, video: Video, owner: Type.Optional(Owner) };
const uploadEvent = <T extends string>(type: T, description: string) =>
  defineEvent(type, description, { ...uploadFields });

export const UploadEvents = {
  /** Fires when the upload API starts a multipart upload (limits and quota passed). */
  "upload.created": uploadEvent("upload.created", "a multipart upload was started"),
  /** Fires once per completed upload, whichever path observed it; the encoding workers start from it. */
  "upload.completed": uploadEvent("upload.completed", "a source video is stored"),
  /** Fires when an upload is aborted or refused on completion (bad checksum, size, type). */
  "upload.aborted": uploadEvent("upload.aborted", "an upload was aborted or refused"),
} as const;

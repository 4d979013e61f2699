/**
 * The S3 backend (API): a state in an S3-compatible bucket, kept as a log of create-only objects (one per
 * version, {@code If-None-Match: *}, as Delta Lake commits on object stores), with checkpoints and
 * a complete, readable {@code state.json} at the state's own key for plain tools; and a lock
 * provider whose locks are create-only objects.
 *
 * <h2>Layout</h2>
 *
 * <pre>
 * s3://BUCKET/KEY                                   readable copy (state.json of a recent version)
 * s3://BUCKET/KEY.infrastate/log/SERIAL.json        one record per version (20-digit serial)
 * s3://BUCKET/KEY.infrastate/checkpoints/SERIAL.json state.json of a version, every so much log
 * s3://BUCKET/KEY.infrastate/locks/NAME.lock        locks (LockInfo JSON)
 * </pre>
 *
 * <h2>URI</h2>
 *
 * {@code s3://BUCKET/KEY?region=…&endpoint=…&pathStyle=true&profile=…&sse=AES256|aws:kms&kmsKeyId=…
 * &checkpointBytes=65536&readableCopyMaxBytes=262144&retainCheckpoints=0}; see {@link
 * io.infrastate.s3.S3BackendProvider}. Design notes on concurrency and crashes are at the top of
 * {@link io.infrastate.s3.S3Backend}'s source, which names the part that holds each.
 */
package io.infrastate.s3;

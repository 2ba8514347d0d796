package dev.sttbench.gateway.inference;

import dev.sttbench.gateway.protocol.ErrorKind;

/**
 * The outcome of one inference request, built on an HTTP client thread and handled on the caller's loop.
 *
 * @param caller        the session that sent the batch.
 * @param failure       null for a 2xx response (still to be parsed), else why the request failed.
 * @param status        HTTP status, or -1 when no response came.
 * @param body          the response body, or null when no response came.
 * @param elapsedNanos  send to response, or -1 when no response came.
 */
public record InferenceCompletion(
    InferenceCaller caller, ErrorKind failure, int status, byte[] body, long elapsedNanos)
{
    public static final int NO_STATUS = -1;
    public static final long NO_ELAPSED = -1;
}

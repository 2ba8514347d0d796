package dev.sttbench.gateway.inference;

import dev.sttbench.gateway.protocol.ErrorKind;
import dev.sttbench.gateway.protocol.InferenceResponseParser;

import java.nio.ByteBuffer;

/**
 * One request's worth of state, reused: a loop lends an exchange to a session for each batch and takes it
 * back once the outcome is handled. It holds the request body (the batch's audio, copied contiguously into a slot
 * of the loop's request-body memory, so the HTTP client sends it as few DATA frames whatever chunks it came from) and carries the outcome from the HTTP
 * client's thread to the loop (the MPSC queue in between orders the writes before the reads). The response body
 * is copied into a fixed buffer of {@link InferenceResponseParser#MAX_BODY_BYTES}: a longer body is not read
 * further and fails as a parse error.
 */
public class InferenceExchange
{
    public static final int NO_STATUS = -1;
    public static final long NO_ELAPSED = -1;

    private final int bodySlot;
    private final ByteBuffer requestBody;
    private final byte[] responseBody = new byte[InferenceResponseParser.MAX_BODY_BYTES];
    private InferenceCaller caller;
    private long sentNanos;
    private ErrorKind failure;
    private int status;
    private int responseLength;
    private long elapsedNanos;
    private boolean reusable = true;

    /**
     * @param bodySlot    the slot of the loop's request-body memory this exchange holds while it lives.
     * @param requestBody that slot: room for the largest batch.
     */
    public InferenceExchange(final int bodySlot, final ByteBuffer requestBody)
    {
        this.bodySlot = bodySlot;
        this.requestBody = requestBody;
    }

    public int bodySlot()
    {
        return bodySlot;
    }

    /** Arm for a new request of {@code caller}, sent at {@code sentNanos}. */
    public void arm(final InferenceCaller caller, final long sentNanos)
    {
        this.caller = caller;
        this.sentNanos = sentNanos;
        failure = null;
        status = NO_STATUS;
        responseLength = 0;
        elapsedNanos = NO_ELAPSED;
    }

    /** The request actually left at {@code sentNanos} (it may have waited for a stream since it was armed). */
    protected void sentAt(final long sentNanos)
    {
        this.sentNanos = sentNanos;
    }

    /** The request body for a batch of {@code length} bytes: position 0, limit {@code length}, to be filled. */
    public ByteBuffer requestBody(final int length)
    {
        return requestBody.clear().limit(length);
    }

    /** The request body as filled for the current batch. */
    public ByteBuffer requestBody()
    {
        return requestBody;
    }

    /** Whether the loop may lend this exchange again once its outcome is handled. */
    public boolean isReusable()
    {
        return reusable;
    }

    protected void setReusable(final boolean reusable)
    {
        this.reusable = reusable;
    }

    /** The session that sent the batch. */
    public InferenceCaller caller()
    {
        return caller;
    }

    /** Null for a 2xx response whose body is still to be parsed, else why the request failed. */
    public ErrorKind failure()
    {
        return failure;
    }

    /** HTTP status, or {@link #NO_STATUS} when no response came. */
    public int status()
    {
        return status;
    }

    /** The response body is {@code responseBody()[0, responseLength())}. */
    public byte[] responseBody()
    {
        return responseBody;
    }

    public int responseLength()
    {
        return responseLength;
    }

    /** Send to response, or {@link #NO_ELAPSED} when no response came. */
    public long elapsedNanos()
    {
        return elapsedNanos;
    }

    /** A response arrived with {@code status}; its body follows through {@link #appendResponse(ByteBuffer)}. */
    public void onResponse(final int status)
    {
        this.status = status;
        failure = status >= 200 && status < 300 ? null : ErrorKind.ofHttpStatus(status);
    }

    /** The whole response (or as much of its body as fits) arrived at {@code nowNanos}. */
    public void onBodyComplete(final long nowNanos)
    {
        elapsedNanos = nowNanos - sentNanos;
    }

    /** Copy the remaining bytes of {@code bytes}; false (nothing copied, the body fails) when they do not fit. */
    public boolean appendResponse(final ByteBuffer bytes)
    {
        final int length = bytes.remaining();
        if (length > responseBody.length - responseLength)
        {
            if (null == failure)
            {
                failure = ErrorKind.PARSE_ERROR;
            }
            return false;
        }
        bytes.get(responseBody, responseLength, length);
        responseLength += length;
        return true;
    }

    /** No (complete) response: the request failed with {@code kind}. */
    public void onFailure(final ErrorKind kind)
    {
        failure = kind;
        status = NO_STATUS;
        elapsedNanos = NO_ELAPSED;
        responseLength = 0;
    }
}

package dev.sttbench.gateway.protocol;

/**
 * Why a batch could not be served: PROTOCOL.md §1's stage/kind pairs plus the gateway's one documented
 * extension, {@code gateway_buffer}/{@code buffer_overflow} for frames shed while a session's ring was full.
 */
public enum ErrorKind
{
    CONNECTION_RESET("inference_request", "connection_reset", true, "inference service connection failed"),
    TIMEOUT("inference_request", "timeout", true, "inference request exceeded INFERENCE_TIMEOUT_MS"),
    HTTP_5XX("inference_request", "http_5xx", true, "inference service answered with a server error"),
    HTTP_429("inference_request", "http_429", true, "inference service is rate limiting"),
    HTTP_4XX("inference_request", "http_4xx", false, "inference service rejected the request"),
    PARSE_ERROR("inference_response_parse", "parse_error", false, "inference response is not the expected JSON"),
    BUFFER_OVERFLOW("gateway_buffer", "buffer_overflow", true, "session buffer full: frames shed unprocessed");

    private static final ErrorKind[] VALUES = values();

    private final String kind;
    private final boolean retryable;
    /** {@code "stage":"…","kind":"…","message":"…",} pre-encoded. */
    final byte[] encodedPrefix;

    ErrorKind(final String stage, final String kind, final boolean retryable, final String message)
    {
        this.kind = kind;
        this.retryable = retryable;
        encodedPrefix = JsonWriter.ascii(
            "\"stage\":\"" + stage + "\",\"kind\":\"" + kind + "\",\"message\":\"" + message + "\",");
    }

    public String kind()
    {
        return kind;
    }

    public boolean retryable()
    {
        return retryable;
    }

    public static int count()
    {
        return VALUES.length;
    }

    public static ErrorKind of(final int ordinal)
    {
        return VALUES[ordinal];
    }

    /** The kind of a non-2xx HTTP status. */
    public static ErrorKind ofHttpStatus(final int status)
    {
        if (429 == status)
        {
            return HTTP_429;
        }
        return status >= 500 ? HTTP_5XX : HTTP_4XX;
    }
}

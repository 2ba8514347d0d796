package dev.sttbench.gateway.websocket;

/** RFC 6455 §7.4.1 status codes the gateway sends. */
public final class CloseCodes
{
    public static final int NORMAL = 1000;
    public static final int GOING_AWAY = 1001;
    public static final int PROTOCOL_ERROR = 1002;
    public static final int UNSUPPORTED_DATA = 1003;
    public static final int NO_STATUS_RECEIVED = 1005;
    public static final int INVALID_PAYLOAD = 1007;
    public static final int POLICY_VIOLATION = 1008;
    public static final int MESSAGE_TOO_BIG = 1009;

    private CloseCodes()
    {
    }

    /** Whether a peer may send {@code code} in a close frame (RFC 6455 §7.4). */
    public static boolean isValidOnWire(final int code)
    {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }
}

package dev.sttbench.sim.server;

/** How a request reached the simulator; a label of the request counter in /metrics. */
public enum Transport
{
    HTTP_1_1("http/1.1"),
    H2C_PRIOR_KNOWLEDGE("h2c-prior-knowledge"),
    H2C_UPGRADE("h2c-upgrade");

    private final String label;

    Transport(final String label)
    {
        this.label = label;
    }

    public String label()
    {
        return label;
    }
}

package dev.sttbench.loadgen.density;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which local addresses a process binds its sockets to before connecting.
 *
 * <p>A TCP connection is told apart by its 4-tuple, so toward one destination (address and port) one source
 * address gives at most the ephemeral port range's worth of connections: {@code high - low + 1} of
 * {@code /proc/sys/net/ipv4/ip_local_port_range}. Past about 90% of that (the rest stays for whatever else
 * on the host connects out, and for ports still held in TIME_WAIT), {@code auto} adds source addresses
 * 127.0.0.2, 127.0.0.3, ... — but only toward an IPv4 loopback target: Linux routes all of 127/8 to the
 * loopback interface, so any of those addresses can be bound and reached without configuration. Any other
 * source address would have to be configured on an interface and routed back to by the target, which only
 * the operator knows, so for other targets only an explicit {@code --source-addresses} list adds addresses.
 *
 * <p>When one address is enough nothing is bound: the kernel picks the source at connect time, from the
 * whole 4-tuple space. Binding with port 0 would instead reserve a port on that address for every
 * destination at once.
 */
final class SourceAddresses {
    /** Share of one source address's local ports that {@code auto} plans to use. */
    static final double USABLE_PORT_SHARE = 0.9;
    private static final Path PORT_RANGE_FILE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    /** Linux's default range, assumed where the file cannot be read. */
    static final PortRange LINUX_DEFAULT_RANGE = new PortRange(32768, 60999);
    private static final int LOOPBACK_FIRST = 0x7F00_0001;
    private static final int LOOPBACK_LAST = 0x7FFF_FFFE;

    private SourceAddresses() {
    }

    /** The ephemeral port range: {@code low} to {@code high}, both included. */
    record PortRange(int low, int high) {
        int ports() {
            return high - low + 1;
        }

        /** Connections {@code auto} puts on one source address. */
        int usablePerAddress() {
            return Math.max(1, (int) (ports() * USABLE_PORT_SHARE));
        }

        /** Parses the file's {@code "low\thigh"}. */
        static PortRange parse(String text) {
            String[] parts = text.trim().split("\\s+");
            if (parts.length != 2) {
                throw new IllegalArgumentException("ip_local_port_range: expected 'low high', got '" + text.trim() + "'");
            }
            int low = Integer.parseInt(parts[0]);
            int high = Integer.parseInt(parts[1]);
            if (low < 1 || high > 65535 || high < low) {
                throw new IllegalArgumentException("ip_local_port_range: not a port range: " + low + " " + high);
            }
            return new PortRange(low, high);
        }

        /** This host's range, or {@link #LINUX_DEFAULT_RANGE} where it cannot be read. */
        static PortRange read() {
            try {
                return parse(Files.readString(PORT_RANGE_FILE));
            } catch (IOException | RuntimeException e) {
                return LINUX_DEFAULT_RANGE;
            }
        }

        @Override
        public String toString() {
            return low + "-" + high;
        }
    }

    /**
     * The addresses one process binds to (empty: the kernel picks at connect time), and why, in words.
     */
    record Plan(List<InetAddress> bind, String why) {
    }

    /**
     * The plan of {@code shard} in a run of {@code total} connections to {@code target}: {@code explicit}
     * (null for auto) split between the shards, or loopback addresses as many as the shard's share needs,
     * disjoint from the other shards' so no two processes compete for one address's ports.
     */
    static Plan plan(List<InetAddress> explicit, InetAddress target, int total, Shard shard, PortRange range) {
        int share = shard.size(total);
        int perAddress = range.usablePerAddress();
        if (explicit != null) {
            return explicitPlan(explicit, share, shard, range);
        }
        if (total <= perAddress) {
            return new Plan(List.of(), total + " connections fit in one source address (90% of its " + range.ports()
                    + " local ports " + range + "): the kernel picks it");
        }
        if (!(target instanceof Inet4Address) || !target.isLoopbackAddress()) {
            return new Plan(List.of(), total + " connections exceed the " + perAddress + " one source address"
                    + " gives (90% of the local ports " + range + "), but auto adds addresses only toward an IPv4"
                    + " loopback target: pass --source-addresses to use more");
        }
        int offset = 0;
        for (int s = 0; s < shard.index(); s++) {
            offset += Math.ceilDiv(shard.sibling(s).size(total), perAddress);
        }
        int needed = Math.ceilDiv(share, perAddress);
        if ((long) LOOPBACK_FIRST + offset + needed - 1 > LOOPBACK_LAST) {
            throw new IllegalArgumentException(total + " connections need more than all of 127/8");
        }
        List<InetAddress> bind = new ArrayList<>(needed);
        for (int i = 0; i < needed; i++) {
            bind.add(ipv4(LOOPBACK_FIRST + offset + i));
        }
        return new Plan(List.copyOf(bind), share + " connections need " + needed + " source address"
                + (needed == 1 ? "" : "es") + " at up to " + perAddress + " each (90% of the local ports " + range
                + "); all of 127/8 is loopback on Linux");
    }

    private static Plan explicitPlan(List<InetAddress> explicit, int share, Shard shard, PortRange range) {
        List<InetAddress> bind;
        String why;
        if (shard.count() == 1) {
            bind = explicit;
            why = "as given";
        } else if (explicit.size() >= shard.count()) {
            List<InetAddress> mine = new ArrayList<>();
            for (int i = shard.index(); i < explicit.size(); i += shard.count()) {
                mine.add(explicit.get(i));
            }
            bind = List.copyOf(mine);
            why = "every " + shard.count() + "th address of the list, from the " + (shard.index() + 1) + "th";
        } else {
            // Fewer addresses than processes: sharing them is still correct, the kernel hands out each address's
            // ports across processes; it only cannot spread them evenly.
            bind = explicit;
            why = "all of the list: fewer addresses than processes";
        }
        long capacity = (long) bind.size() * range.ports();
        if (share > capacity) {
            why += "; warning: " + share + " connections exceed the " + capacity + " local ports those addresses"
                    + " have (" + range + " each): expect local_address failures";
        }
        return new Plan(bind, why);
    }

    private static InetAddress ipv4(int address) {
        try {
            return InetAddress.getByAddress(new byte[] {
                    (byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address});
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
    }
}

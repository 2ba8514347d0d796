package dev.sttbench.loadgen.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sttbench.loadgen.density.SourceAddresses.PortRange;
import dev.sttbench.loadgen.density.SourceAddresses.Plan;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SourceAddressesTest {
    private static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");
    private static final InetAddress REMOTE = InetAddress.ofLiteral("10.1.2.3");
    /** 1000 ports, 900 usable per address. */
    private static final PortRange RANGE = new PortRange(50000, 50999);

    private static List<String> names(Plan plan) {
        return plan.bind().stream().map(InetAddress::getHostAddress).toList();
    }

    @Test
    void theRangeFileIsParsed() {
        PortRange range = PortRange.parse("32768\t60999\n");
        assertEquals(28232, range.ports());
        assertEquals(25408, range.usablePerAddress());
        assertEquals(900, RANGE.usablePerAddress());
        assertThrows(IllegalArgumentException.class, () -> PortRange.parse("60999 32768"));
        assertThrows(IllegalArgumentException.class, () -> PortRange.parse("1024"));
        PortRange here = PortRange.read();
        assertTrue(here.ports() > 0 && here.high() <= 65535, here.toString());
    }

    @Test
    void upToNinetyPercentOfOneAddressTheKernelPicks() {
        Plan plan = SourceAddresses.plan(null, LOOPBACK, 900, Shard.WHOLE, RANGE);
        assertEquals(List.of(), plan.bind());
        assertTrue(plan.why().contains("the kernel picks"), plan.why());
    }

    @Test
    void pastThatALoopbackTargetGetsAsManyLoopbackAddressesAsNeeded() {
        assertEquals(List.of("127.0.0.1", "127.0.0.2"), names(SourceAddresses.plan(null, LOOPBACK, 901, Shard.WHOLE, RANGE)));
        assertEquals(List.of("127.0.0.1", "127.0.0.2"), names(SourceAddresses.plan(null, LOOPBACK, 1800, Shard.WHOLE, RANGE)));
        List<String> many = names(SourceAddresses.plan(null, InetAddress.ofLiteral("127.0.0.9"), 1_000_000, Shard.WHOLE,
                new PortRange(32768, 60999)));
        assertEquals(40, many.size(), "ceil(1e6 / 25408)");
        assertEquals("127.0.0.40", many.get(39));
        List<String> pastAnOctet = names(SourceAddresses.plan(null, LOOPBACK, 900 * 300, Shard.WHOLE, RANGE));
        assertEquals("127.0.1.44", pastAnOctet.get(299));
    }

    @Test
    void otherTargetsGetNoAutomaticAddressesButAnExplanation() {
        Plan plan = SourceAddresses.plan(null, REMOTE, 100_000, Shard.WHOLE, RANGE);
        assertEquals(List.of(), plan.bind());
        assertTrue(plan.why().contains("--source-addresses"), plan.why());
        Plan ipv6 = SourceAddresses.plan(null, InetAddress.ofLiteral("::1"), 100_000, Shard.WHOLE, RANGE);
        assertEquals(List.of(), ipv6.bind());
    }

    @Test
    void shardsGetDisjointAddressesSizedToTheirShare() {
        Set<String> seen = new HashSet<>();
        List<String> all = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            Shard shard = new Shard(k, 3);
            List<String> mine = names(SourceAddresses.plan(null, LOOPBACK, 5000, shard, RANGE));
            // 5000 = 1667 + 1667 + 1666: two addresses of 900 each per shard.
            assertEquals(2, mine.size(), mine.toString());
            for (String address : mine) {
                assertTrue(seen.add(address), address + " is given to two shards");
            }
            all.addAll(mine);
        }
        assertEquals(List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"), all);
    }

    @Test
    void anExplicitListIsSplitBetweenShardsWhenLongEnough() {
        List<InetAddress> list = List.of(InetAddress.ofLiteral("10.0.0.1"), InetAddress.ofLiteral("10.0.0.2"),
                InetAddress.ofLiteral("10.0.0.3"));
        assertEquals(list, SourceAddresses.plan(list, REMOTE, 10, Shard.WHOLE, RANGE).bind());
        assertEquals(List.of("10.0.0.1", "10.0.0.3"), names(SourceAddresses.plan(list, REMOTE, 10, new Shard(0, 2), RANGE)));
        assertEquals(List.of("10.0.0.2"), names(SourceAddresses.plan(list, REMOTE, 10, new Shard(1, 2), RANGE)));
        assertEquals(list, SourceAddresses.plan(list, REMOTE, 10, new Shard(3, 4), RANGE).bind(),
                "fewer addresses than processes: all of them, shared");
        Plan tooFew = SourceAddresses.plan(List.of(LOOPBACK), LOOPBACK, 1001, Shard.WHOLE, RANGE);
        assertTrue(tooFew.why().contains("warning"), tooFew.why());
    }

    @Test
    void shardsSplitTheIdsContiguously() {
        int total = 1003;
        int next = 0;
        for (int k = 0; k < 4; k++) {
            Shard shard = new Shard(k, 4);
            assertEquals(next, shard.firstId(total));
            next += shard.size(total);
        }
        assertEquals(total, next);
        assertEquals(251, new Shard(0, 4).size(total));
        assertEquals(250, new Shard(3, 4).size(total));
    }
}

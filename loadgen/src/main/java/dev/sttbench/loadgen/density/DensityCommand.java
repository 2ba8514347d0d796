package dev.sttbench.loadgen.density;

import dev.sttbench.loadgen.cli.Flags;
import dev.sttbench.loadgen.cli.UsageException;
import dev.sttbench.loadgen.run.PrettyJson;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * {@code loadgen density}: how many mostly idle sessions a gateway holds. Opens {@code --connections}
 * WebSocket sessions at {@code --rate}, holds them, proves each alive with a ping, closes them, and reports
 * failures by cause plus what the load generator itself spent (see {@link DensityResult}).
 *
 * <p>When one process may not hold that many sockets, the run is split over child JVMs
 * ({@link ChildProcesses}) and their results merged; where one source address has too few ports, more are
 * bound ({@link SourceAddresses}). Both decisions are printed on stderr before the run.
 */
public final class DensityCommand {
    public static final int EXIT_PASS = 0;
    /** The run itself broke: a child process failed, the result could not be written. */
    public static final int EXIT_BROKEN = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_FAILURES = 3;

    private static final String SHARD_FLAG = "--shard";

    private DensityCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> parentArgs = new ArrayList<>();
        String shardText = null;
        for (int i = 0; i < args.length; i++) {
            // --shard k/P is how a parent starts its children; it stays out of --help.
            if (args[i].equals(SHARD_FLAG) && i + 1 < args.length) {
                shardText = args[++i];
            } else if (args[i].startsWith(SHARD_FLAG + "=")) {
                shardText = args[i].substring(SHARD_FLAG.length() + 1);
            } else {
                parentArgs.add(args[i]);
            }
        }
        Flags flags = DensityOptions.flags();
        DensityOptions options;
        Shard shard;
        try {
            if (!flags.parse(parentArgs.toArray(String[]::new))) {
                out.print(flags.usage());
                return EXIT_PASS;
            }
            options = DensityOptions.from(flags);
            shard = shardText == null ? null : Shard.parse(shardText);
        } catch (UsageException e) {
            err.println(e.getMessage());
            return EXIT_USAGE;
        }
        try {
            return shard != null ? runShard(options, shard, out, err) : runParent(options, parentArgs, out, err);
        } catch (IOException | RuntimeException e) {
            err.println("density: " + e);
            return EXIT_BROKEN;
        }
    }

    /** A child: drives its shard and prints its result, histogram included, for the parent to merge. */
    private static int runShard(DensityOptions options, Shard shard, PrintStream out, PrintStream err)
            throws IOException {
        SourceAddresses.Plan plan = SourceAddresses.plan(options.sourceAddresses(), targetAddress(options),
                options.connections(), shard, SourceAddresses.PortRange.read());
        DensityResult result = new DensityLoop(options, shard, plan.bind()).run();
        out.println(PrettyJson.write(result.toJson(true)));
        err.println(result.summary());
        return result.passed() ? EXIT_PASS : EXIT_FAILURES;
    }

    private static int runParent(DensityOptions options, List<String> args, PrintStream out, PrintStream err)
            throws IOException {
        long cpuStart = ProcSelf.cpuTicks();
        ProcessPlan processes = ProcessPlan.of(options.connections(), options.processes(), ProcSelf.openFilesLimit());
        int count = processes.processes();
        SourceAddresses.PortRange range = SourceAddresses.PortRange.read();
        List<SourceAddresses.Plan> plans = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            plans.add(SourceAddresses.plan(options.sourceAddresses(), targetAddress(options), options.connections(),
                    new Shard(k, count), range));
        }
        err.println("density: " + count + (count == 1 ? " process: " : " processes: ") + processes.why());
        if (count == 1) {
            err.println("density: source addresses: " + describe(plans) + ": " + plans.get(0).why());
        } else {
            for (int k = 0; k < count; k++) {
                err.println("density: process " + k + "/" + count + " source addresses: " + describe(plans.subList(k, k + 1))
                        + ": " + plans.get(k).why());
            }
        }

        DensityResult result;
        if (count == 1) {
            result = new DensityLoop(options, Shard.WHOLE, plans.get(0).bind()).run();
        } else {
            List<DensityResult> children = ChildProcesses.run(args, count, err);
            result = DensityResult.merge(options, children,
                    (ProcSelf.cpuTicks() - cpuStart) / (double) ProcSelf.USER_HZ, ProcSelf.peakRssKb(),
                    System.currentTimeMillis());
        }
        String json = PrettyJson.write(result.toJson(false));
        out.println(json);
        if (options.out() != null) {
            Path parent = options.out().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(options.out(), json + "\n", StandardCharsets.UTF_8);
        }
        err.println(result.summary());
        return result.passed() ? EXIT_PASS : EXIT_FAILURES;
    }

    private static InetAddress targetAddress(DensityOptions options) {
        return options.target().address().getAddress();
    }

    /** {@code the kernel's choice}, one address, or the first and last of many with their count. */
    static String describe(List<SourceAddresses.Plan> plans) {
        List<String> all = new ArrayList<>(new LinkedHashSet<>(addresses(plans)));
        if (all.isEmpty()) {
            return "the kernel's choice";
        }
        if (all.size() <= 4) {
            return String.join(", ", all);
        }
        return all.size() + " addresses, " + all.get(0) + " ... " + all.get(all.size() - 1);
    }

    private static List<String> addresses(List<SourceAddresses.Plan> plans) {
        List<String> all = new ArrayList<>();
        for (SourceAddresses.Plan plan : plans) {
            plan.bind().forEach(address -> all.add(address.getHostAddress()));
        }
        return all;
    }
}

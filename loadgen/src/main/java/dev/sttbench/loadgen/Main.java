package dev.sttbench.loadgen;

import dev.sttbench.loadgen.conformance.ConformanceCommand;
import dev.sttbench.loadgen.density.DensityCommand;
import dev.sttbench.loadgen.report.PlotCommand;
import dev.sttbench.loadgen.run.RunCommand;
import java.io.PrintStream;
import java.util.Arrays;

/** {@code java -jar loadgen.jar run|conformance|density ...}: subcommand dispatch. */
public final class Main {
    private static final String USAGE = """
            usage: loadgen <command> [flags]

            commands:
              run           open-loop load against a gateway; summary JSON, samples CSV, SLO verdict
              conformance   black-box protocol checks against any gateway (PROTOCOL.md §1)
              density       open, hold, ping and close many idle sessions: how many a gateway holds
              plot          charts of a benchmark ladder (see plot --help)

            loadgen <command> --help describes a command's flags.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns its exit code (2 for a bad command line). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(USAGE);
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "run" -> RunCommand.run(rest, out, err);
            case "conformance" -> ConformanceCommand.run(rest, out, err);
            case "density" -> DensityCommand.run(rest, out, err);
            case "plot" -> PlotCommand.run(rest, out, err);
            case "--help", "-h", "help" -> {
                out.print(USAGE);
                yield 0;
            }
            default -> {
                err.println("unknown command '" + args[0] + "'");
                err.print(USAGE);
                yield 2;
            }
        };
    }
}

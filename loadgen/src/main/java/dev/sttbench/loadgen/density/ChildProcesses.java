package dev.sttbench.loadgen.density;

import com.github.cliftonlabs.json_simple.JsonException;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs the shards of a density run as child JVMs: the same java binary and class path as this one, the same
 * arguments plus {@code --shard k/P}. Each prints its result JSON (with its pong histogram) on stdout, which
 * is collected here; its stderr is passed on, each line prefixed with the shard.
 */
final class ChildProcesses {
    private static final String MAIN_CLASS = "dev.sttbench.loadgen.Main";

    private ChildProcesses() {
    }

    /** Starts {@code processes} children with {@code args} (the parent's, without {@code --shard}); waits for all. */
    static List<DensityResult> run(List<String> args, int processes, PrintStream err) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> jvmOptions = forwardedJvmOptions(ManagementFactory.getRuntimeMXBean().getInputArguments());
        List<Process> children = new CopyOnWriteArrayList<>();
        List<ByteArrayOutputStream> outputs = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        // Interrupted (Ctrl-C), the parent takes its children with it rather than leave them holding sockets.
        Thread reaper = new Thread(() -> children.forEach(Process::destroyForcibly), "density-child-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        try {
            for (int k = 0; k < processes; k++) {
                List<String> command = new ArrayList<>();
                command.add(java);
                command.addAll(jvmOptions);
                command.add("-cp");
                command.add(System.getProperty("java.class.path"));
                command.add(MAIN_CLASS);
                command.add("density");
                command.addAll(args);
                command.add("--shard");
                command.add(k + "/" + processes);
                Process child = new ProcessBuilder(command).start();
                child.getOutputStream().close();
                children.add(child);
                ByteArrayOutputStream output = new ByteArrayOutputStream();
                outputs.add(output);
                pumps.add(Thread.startVirtualThread(() -> copy(child.getInputStream(), output)));
                String prefix = "[" + k + "/" + processes + "] ";
                pumps.add(Thread.startVirtualThread(() -> prefixLines(child.getErrorStream(), prefix, err)));
            }
            List<DensityResult> results = new ArrayList<>();
            for (int k = 0; k < processes; k++) {
                int exit = children.get(k).waitFor();
                pumps.get(2 * k).join();
                pumps.get(2 * k + 1).join();
                if (exit != DensityCommand.EXIT_PASS && exit != DensityCommand.EXIT_FAILURES) {
                    throw new IOException("process " + k + "/" + processes + " exited with " + exit);
                }
                String json = outputs.get(k).toString(StandardCharsets.UTF_8);
                try {
                    results.add(DensityResult.fromJson((JsonObject) Jsoner.deserialize(json)));
                } catch (JsonException | RuntimeException e) {
                    throw new IOException("process " + k + "/" + processes + " printed no result JSON: " + e, e);
                }
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the child processes", e);
        } finally {
            for (Process child : children) {
                child.destroyForcibly();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs
            }
        }
    }

    /**
     * The heap, stack and -XX settings given to this JVM apply to each child too; module, agent and
     * property flags (a test runner's, say) are not needed by a density shard and are left out.
     */
    static List<String> forwardedJvmOptions(List<String> inputArguments) {
        List<String> forwarded = new ArrayList<>();
        for (String argument : inputArguments) {
            if (argument.startsWith("-Xmx") || argument.startsWith("-Xms") || argument.startsWith("-Xss")
                    || argument.startsWith("-XX:")) {
                forwarded.add(argument);
            }
        }
        return forwarded;
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            // A broken pipe shows below as the child's missing or cut JSON.
        }
    }

    private static void prefixLines(InputStream in, String prefix, PrintStream err) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                err.println(prefix + line);
            }
        } catch (IOException e) {
            // Only the child's stderr is lost; its exit code and JSON still tell how it went.
        }
    }
}

package dev.gazenerf.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code gazenerf} command line: one entry point, one subcommand per job (the contract in DESIGN.md).
 * A user error ends with one line on stderr and exit code {@value #USER_ERROR}; stack traces only with
 * {@code --verbose}.
 */
@Command(name = "gazenerf", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "GazeNeRF in plain Java: gaze redirection with a two-stream conditional NeRF.",
        subcommands = {InfoCommand.class, SynthCommand.class, TrainCommand.class, FitCommand.class, RedirectCommand.class, EvaluateCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code of every error a user can cause (bad flag, missing file, no device). */
    public static final int USER_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command line and returns the exit code (used by tests; {@link #main} exits with it). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("gazenerf: error: " + ex.getMessage());
            c.getErr().println("try: " + c.getCommandSpec().qualifiedName() + " --help");
            c.getErr().flush();
            return USER_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            if (verbose) {
                ex.printStackTrace(c.getErr());
            }
            c.getErr().println("gazenerf: error: " + Errors.oneLine(ex));
            c.getErr().flush();
            return USER_ERROR;
        });
        int code;
        try {
            code = cl.execute(args);
        } catch (OutOfMemoryError e) {
            err.println("gazenerf: error: out of memory with a maximum heap of " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB: give the JVM more (GAZENERF_HEAP=8g ./gazenerf ...), or use a smaller preset or batch");
            code = USER_ERROR;
        }
        out.flush();
        err.flush();
        return code;
    }

    public static void main(String[] args) {
        int code = execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        System.exit(code);
    }

    /** Version from the jar manifest, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"gazenerf " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}

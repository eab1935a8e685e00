package yuqing.esnode;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.EmbeddedNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts one embedded Elasticsearch node for tests.
 *
 * Usage: EsNodeMain --workdir DIR [--http-port N] [--port-file FILE] [--parent-pid PID] [-Ekey=value ...]
 *
 * DIR is path.home (data/, logs/, config/ live under it, so restarting on the same DIR keeps the
 * data). Once the node is started, the bound HTTP port is written to FILE (default DIR/http.port);
 * SIGTERM closes the node cleanly and removes FILE. With --parent-pid the node also shuts down when
 * that process is gone, so a crashed test run leaves no orphan JVM. Startup failures go to stderr,
 * exit code 1.
 */
public final class EsNodeMain {

    static final String CLUSTER_NAME = "yuqing-test";
    static final String NODE_NAME = "yuqing-es-node";

    private EsNodeMain() {}

    public static void main(String[] args) {
        // LogConfigurator replaces System.out/err with streams into the log file; keep the real
        // stderr so a failed start is visible to the parent process.
        PrintStream stderr = System.err;
        try {
            run(args);
        } catch (Throwable t) {
            stderr.println("es-node: startup failed: " + t);
            t.printStackTrace(stderr);
            stderr.flush();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        Path workdir = null;
        String httpPort = "0"; // 0 = any free port; the chosen one goes to the port file
        Path portFile = null;
        long parentPid = -1;
        Settings.Builder extra = Settings.builder();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--workdir" -> workdir = Path.of(args[++i]).toAbsolutePath();
                case "--http-port" -> httpPort = args[++i];
                case "--port-file" -> portFile = Path.of(args[++i]).toAbsolutePath();
                case "--parent-pid" -> parentPid = Long.parseLong(args[++i]);
                default -> {
                    if (args[i].startsWith("-E") && args[i].contains("=")) {
                        String kv = args[i].substring(2);
                        extra.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
                    } else {
                        throw new IllegalArgumentException("unknown argument: " + args[i]);
                    }
                }
            }
        }
        if (workdir == null) {
            throw new IllegalArgumentException("--workdir is required");
        }
        if (portFile == null) {
            portFile = workdir.resolve("http.port");
        }
        Files.deleteIfExists(portFile); // a stale file must never look like a ready node

        Settings settings = Settings.builder()
            .put("path.home", workdir.toString())
            .put("cluster.name", CLUSTER_NAME)
            .put("node.name", NODE_NAME)
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1") // loopback only
            .put("http.port", httpPort)
            .put("transport.port", "0") // never collide with a real node on 9300
            // CI disks can be nearly full; watermarks would otherwise block shard allocation.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // Tests delete indices by wildcard during cleanup.
            .put("action.destructive_requires_name", false)
            // mmap needs vm.max_map_count tuning that CI machines don't have.
            .put("node.store.allow_mmap", false)
            // The real-memory breaker trips spuriously with a small heap under bulk load.
            .put("indices.breaker.total.use_real_memory", false)
            .put(extra.build())
            .build();

        // The org.elasticsearch.logging facade needs its factory before any server class logs.
        LogConfigurator.configureESLogging();
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> NODE_NAME);
        Files.createDirectories(env.configDir());
        try (InputStream in = EsNodeMain.class.getResourceAsStream("/yuqing-es-log4j2.properties")) {
            Files.copy(in, env.configDir().resolve("log4j2.properties"), StandardCopyOption.REPLACE_EXISTING);
        }
        LogConfigurator.registerErrorListener(); // turns log4j configuration errors into a failed start
        LogConfigurator.setNodeName(NODE_NAME);
        LogConfigurator.setClusterName(CLUSTER_NAME);
        LogConfigurator.configure(env, false);
        Logger logger = LogManager.getLogger(EsNodeMain.class);

        Node node = new EmbeddedNode(env, List.of(Netty4Plugin.class, RootInfoPlugin.class));
        Path finalPortFile = portFile;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(node, finalPortFile, logger), "es-node-shutdown"));
        if (parentPid > 0) {
            // System.exit runs the shutdown hook above, i.e. the same clean close as SIGTERM.
            ProcessHandle.of(parentPid).ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> System.exit(0)),
                () -> System.exit(0)
            );
        }
        node.start();

        int port = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress().getPort();
        // Write then rename, so a reader never sees a half-written file.
        Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, port + "\n");
        Files.move(tmp, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        logger.info("es-node started, http://127.0.0.1:{}", port);

        new CountDownLatch(1).await(); // park; SIGTERM runs the shutdown hook and exits the JVM
    }

    private static void shutdown(Node node, Path portFile, Logger logger) {
        try {
            Files.deleteIfExists(portFile);
            logger.info("es-node stopping");
            node.prepareForClose();
            node.close();
            if (node.awaitClose(30, TimeUnit.SECONDS) == false) {
                logger.warn("es-node did not close within 30s");
            }
        } catch (Exception e) {
            logger.error("es-node shutdown failed", e);
        } finally {
            // log4j's own shutdown hook is disabled by the launcher (-Dlog4j.shutdownHookEnabled=false)
            // so the close above can still log; flush and stop it last.
            LogManager.shutdown();
        }
    }
}

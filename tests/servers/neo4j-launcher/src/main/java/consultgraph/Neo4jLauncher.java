package consultgraph;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Result;
import org.neo4j.graphdb.Transaction;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * Embedded Neo4j Community server with a Bolt connector, for consultgraph's tests.
 *
 * <pre>
 * java -cp 'neo4j-launcher.jar:lib/*' consultgraph.Neo4jLauncher [options]
 *
 *   --host HOST        Bolt listen address        (env NEO4J_BOLT_HOST, default 127.0.0.1)
 *   --port PORT        Bolt port                  (env NEO4J_BOLT_PORT, default 7687)
 *   --http-port PORT   HTTP port: Neo4j Browser at /browser/ and the HTTP API
 *                      (env NEO4J_HTTP_PORT, default 7474; 0 turns HTTP off)
 *   --home DIR         Neo4j home (data, logs)    (env NEO4J_HOME_DIR, default: a temp
 *                      directory deleted on exit)
 *   --password PW      enable auth; user neo4j gets this password
 *                      (env NEO4J_PASSWORD; default: auth disabled)
 *   --pagecache SIZE   page cache, e.g. 256m      (env NEO4J_PAGECACHE, default 256m)
 * </pre>
 *
 * Prints one line starting with {@code NEO4J READY} once Bolt (and HTTP) accept
 * connections and a query has run; stays up until killed, then shuts the database down
 * cleanly. Neo4j Browser is served when the org.neo4j.client:neo4j-browser jar is on the
 * class path (the pom puts it there).
 */
public final class Neo4jLauncher {

    private Neo4jLauncher() {}

    public static void main(String[] args) throws Exception {
        String host = env("NEO4J_BOLT_HOST", "127.0.0.1");
        int port = Integer.parseInt(env("NEO4J_BOLT_PORT", "7687"));
        int httpPort = Integer.parseInt(env("NEO4J_HTTP_PORT", "7474"));
        String home = env("NEO4J_HOME_DIR", null);
        String password = env("NEO4J_PASSWORD", null);
        String pagecache = env("NEO4J_PAGECACHE", "256m");

        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--host": host = value(args, ++i, a); break;
                case "--port": port = Integer.parseInt(value(args, ++i, a)); break;
                case "--http-port": httpPort = Integer.parseInt(value(args, ++i, a)); break;
                case "--home": home = value(args, ++i, a); break;
                case "--password": password = value(args, ++i, a); break;
                case "--pagecache": pagecache = value(args, ++i, a); break;
                case "-h":
                case "--help":
                    System.out.println("usage: Neo4jLauncher [--host H] [--port N] [--http-port N] [--home DIR]"
                            + " [--password PW] [--pagecache SIZE]");
                    return;
                default:
                    die("unknown argument: " + a);
            }
        }
        if (password != null && password.isEmpty()) {
            password = null;
        }

        final boolean tempHome = home == null;
        final Path homeDir = tempHome
                ? Files.createTempDirectory("consultgraph-neo4j-")
                : Paths.get(home).toAbsolutePath();
        Files.createDirectories(homeDir);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(homeDir)
                .setUserLogProvider(new Log4jLogProvider(System.out, Level.INFO))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(HttpConnector.enabled, httpPort > 0)
                .setConfig(HttpConnector.listen_address, new SocketAddress(host, Math.max(httpPort, 1)))
                .setConfig(HttpConnector.advertised_address, new SocketAddress(host, Math.max(httpPort, 1)))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, password != null)
                .setConfig(GraphDatabaseSettings.auth_minimum_password_length, 1)
                .setConfig(GraphDatabaseSettings.pagecache_memory, parseSize(pagecache))
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // a test server: don't linger ~10 s in Bolt's graceful shutdown
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("NEO4J STOPPING");
            try {
                dbms.shutdown();
            } finally {
                if (tempHome) {
                    deleteTree(homeDir);
                }
                System.out.println("NEO4J STOPPED");
                System.out.flush();
                stopped.countDown();
            }
        }, "neo4j-shutdown"));

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (password != null) {
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        }
        String version = "?";
        String edition = "?";
        try (Transaction tx = db.beginTx();
             Result r = tx.execute("CALL dbms.components() YIELD versions, edition "
                     + "RETURN versions[0] AS version, edition")) {
            Map<String, Object> row = r.next();
            version = String.valueOf(row.get("version"));
            edition = String.valueOf(row.get("edition"));
            tx.commit();
        }

        waitForPort(host, port, 60_000);
        if (httpPort > 0) {
            waitForPort(host, httpPort, 60_000);
        }
        System.out.printf("NEO4J READY bolt://%s:%d %s (Neo4j %s %s, auth %s, home %s)%n",
                host, port, httpPort > 0 ? "http://" + host + ":" + httpPort + "/browser/" : "(HTTP off)",
                version, edition,
                password == null ? "disabled" : "enabled for user neo4j", homeDir);
        System.out.flush();

        stopped.await();
    }

    private static void waitForPort(String host, int port, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    die("port " + host + ":" + port + " did not open: " + e);
                }
                Thread.sleep(200);
            }
        }
    }

    private static long parseSize(String s) {
        String t = s.trim().toLowerCase();
        long mult = 1;
        if (t.endsWith("g")) {
            mult = ByteUnit.gibiBytes(1);
        } else if (t.endsWith("m")) {
            mult = ByteUnit.mebiBytes(1);
        } else if (t.endsWith("k")) {
            mult = ByteUnit.kibiBytes(1);
        }
        if (mult != 1) {
            t = t.substring(0, t.length() - 1);
        }
        return Long.parseLong(t) * mult;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + root + ": " + e);
        }
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    private static String value(String[] args, int i, String opt) {
        if (i >= args.length) {
            die("missing value for " + opt);
        }
        return args[i];
    }

    private static void die(String msg) {
        System.err.println("neo4j-launcher: " + msg);
        System.exit(2);
    }
}

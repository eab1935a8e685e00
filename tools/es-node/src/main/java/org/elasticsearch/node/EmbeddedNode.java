package org.elasticsearch.node;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An Elasticsearch node whose plugins are classpath classes.
 *
 * Lives in org.elasticsearch.node because Node(NodeConstruction), NodeConstruction.prepareConstruction
 * and NodeServiceProvider are package-private. This is the 8.18+/8.19 shape:
 * prepareConstruction(Environment, PluginsLoader, NodeServiceProvider, boolean) and
 * NodeServiceProvider.newPluginService(Environment, PluginsLoader).
 */
public class EmbeddedNode extends Node {

    public EmbeddedNode(Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        super(NodeConstruction.prepareConstruction(environment, emptyPluginsLoader(), new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, PluginsLoader loader) {
                return new ClasspathPluginsService(env.settings(), env, loader, List.copyOf(pluginClasses));
            }
        }, true /* forbidPrivateIndexSettings, as in production */));
    }

    private static PluginsLoader emptyPluginsLoader() {
        // withServerExports=false: the server runs in the unnamed module here, and registering its
        // qualified-exports service would fail on the missing module descriptor. With no bundles
        // there is also no jar-hell scan of the classpath.
        return PluginsLoader.createPluginsLoader(Set.of(), Set.of(), Map.of(), false);
    }
}

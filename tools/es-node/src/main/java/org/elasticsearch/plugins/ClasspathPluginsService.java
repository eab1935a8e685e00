package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A PluginsService that instantiates plugin classes found on the JVM classpath instead of scanning
 * the distribution's modules/ and plugins/ directories (which an embedded node does not have).
 *
 * Lives in org.elasticsearch.plugins because loadPlugin, loadExtensions, LoadedPlugin and plugins()
 * are package-private / protected. Shape checked with javap against elasticsearch 8.19.21:
 * PluginsService(Settings, Path, PluginsLoader), LoadedPlugin(descriptor, instance, classLoader),
 * 12-argument PluginDescriptor.
 */
public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> classpathPlugins;
    private final PluginsAndModules classpathInfo;

    /** @param emptyLoader a PluginsLoader without bundles: the super constructor walks it unconditionally. */
    public ClasspathPluginsService(
        Settings settings,
        Environment environment,
        PluginsLoader emptyLoader,
        Collection<Class<? extends Plugin>> pluginClasses
    ) {
        super(settings, environment.configDir(), emptyLoader);
        List<LoadedPlugin> loaded = new ArrayList<>();
        for (Class<? extends Plugin> pluginClass : pluginClasses) {
            Plugin instance = loadPlugin(pluginClass, settings, environment.configDir());
            PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getName(),
                "classpath plugin",
                "NA",
                Build.current().version(),
                Integer.toString(Runtime.version().feature()),
                pluginClass.getName(),
                null,          // no module name: everything runs on the classpath (unnamed module)
                List.of(),     // extends no other plugin
                false,         // no native controller
                false,         // not licensed
                false,         // not modular
                false          // classic (not "stable") plugin API
            );
            loaded.add(new LoadedPlugin(descriptor, instance, pluginClass.getClassLoader()));
        }
        // Wires ExtensiblePlugin SPI between the plugins we load; a no-op for the current set,
        // kept so adding e.g. an extensible plugin later behaves as in a real node.
        loadExtensions(loaded);
        this.classpathPlugins = List.copyOf(loaded);
        this.classpathInfo = new PluginsAndModules(
            loaded.stream().map(p -> new PluginRuntimeInfo(p.descriptor())).toList(),
            List.of()
        );
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        // Every plugin query (filterPlugins, map, pluginMap, ...) goes through this method.
        return classpathPlugins;
    }

    @Override
    public PluginsAndModules info() {
        // Shown by GET _nodes/plugins.
        return classpathInfo;
    }
}

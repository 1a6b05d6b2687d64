<?php
/*
 * render-graph.php LOCAL_GRAPH_ID START END FILE: draws one of Cacti's
 * graphs into FILE (PNG) with Cacti's own graph code, the one behind
 * graph_image.php, so the picture is what an operator sees. Prints the
 * rrdtool command too (Cacti's "print_source"), for the test's log.
 * Run with the CLI PHP, as root; CACTI_SITE overrides /usr/share/cacti/site.
 */

if ($argc != 5) {
	fwrite(STDERR, "usage: render-graph.php LOCAL_GRAPH_ID START END FILE\n");
	exit(2);
}

$site = getenv('CACTI_SITE') ?: '/usr/share/cacti/site';
include($site . '/include/cli_check.php');
include_once($config['library_path'] . '/rrd.php');

$id   = (int)$argv[1];
$args = array(
	'graph_start' => (int)$argv[2],
	'graph_end'   => (int)$argv[3],
);

// Cacti prints the command line, HTML-escaped, for its web page.
ob_start();
rrdtool_function_graph($id, 0, $args + array('print_source' => true));
$source = strip_tags(ob_get_clean());
print html_entity_decode($source, ENT_QUOTES | ENT_HTML5) . "\n";

$args['output_filename'] = $argv[4];
rrdtool_function_graph($id, 0, $args);
clearstatcache();
if (!is_file($argv[4]) || filesize($argv[4]) == 0) {
	fwrite(STDERR, "render-graph.php: graph $id: nothing written to {$argv[4]}\n");
	exit(1);
}
exit(0);

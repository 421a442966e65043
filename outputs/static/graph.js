
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cg-data").textContent);
  var style = data.style;
  window.cgReady = false;
  function ready() {
    if (window.cgReady) return;
    window.cgReady = true;
    window.cgReadyAt = performance.now();
    document.body.setAttribute("data-ready", "1");
    var loading = document.getElementById("cg-loading");
    if (loading) loading.style.display = "none";
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;  // text, never HTML
    return node;
  }
  function tipElement(tip) {
    if (!tip) return undefined;
    var root = el("div", "cg-tip");
    root.appendChild(el("strong", null, tip.title));
    (tip.lines || []).forEach(function (line) { root.appendChild(el("div", null, line)); });
    (tip.quotes || []).forEach(function (q) {
      var block = el("blockquote", null, "\u201c" + q.text + "\u201d");
      block.appendChild(el("cite", null, "\u2014 " + q.who));
      root.appendChild(block);
    });
    if (tip.more) root.appendChild(el("div", "cg-more", tip.more));
    return root;
  }
  function darker(hex) {
    var n = parseInt(hex.slice(1), 16), r = (n >> 16) * 0.6, g = ((n >> 8) & 255) * 0.6, b = (n & 255) * 0.6;
    return "rgb(" + Math.round(r) + "," + Math.round(g) + "," + Math.round(b) + ")";
  }
  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    var s = style[n.kind] || {color: "#888888", shape: "dot"};
    var item = {
      id: n.id, label: n.label, kind: n.kind, g: n.g || [], tip: n.tip, size: n.size, shape: s.shape,
      color: {background: s.color, border: darker(s.color),
              highlight: {background: s.color, border: "#000000"}, hover: {background: s.color, border: "#000000"}},
      borderWidth: n.focus ? 4 : 1,
      font: {size: n.kind === "Respondent" ? 10 : 14, color: "#222222", strokeWidth: 3, strokeColor: "#ffffff"},
      title: tipElement(n.tip)
    };
    if (n.x !== undefined) { item.x = n.x; item.y = n.y; }
    return item;
  }));
  var edgeColours = {SHARE: "#555555", BASED_IN_GROUP: "#999999", BROADER: "#bbbbbb", MEMBER_OF: "#cccccc",
                     CODED: "#cfcfcf", BASED_IN: "#dddddd"};
  var edges = new vis.DataSet(data.edges.map(function (e) {
    var item = {id: e.id, from: e.from, to: e.to, kind: e.kind, g: e.g, w: e.w, tip: e.tip,
                color: {color: edgeColours[e.kind] || "#cccccc", highlight: "#000000", hover: "#000000", opacity: 0.9},
                width: e.width || (e.kind === "CODED" ? 0.6 : 1), dashes: !!e.dashes,
                arrows: e.kind === "BROADER" ? {to: {enabled: true, scaleFactor: 0.5}} : undefined};
    if (e.label) {
      item.fullLabel = e.label;
      if (data.labels === "all") item.label = e.label;
      item.font = {size: 11, align: "horizontal", strokeWidth: 0, background: "rgba(255,255,255,0.85)", color: "#222222"};
    }
    if (e.tip) item.title = tipElement(e.tip);
    return item;
  }));
  var kindOn = {}, groupOn = "", visible = new Set();
  document.querySelectorAll("#cg-legend input[data-kind]").forEach(function (box) {
    kindOn[box.getAttribute("data-kind")] = box.checked;
  });
  function nodeShown(n) {
    if (kindOn[n.kind] === false) return false;
    return !groupOn || (n.g || []).indexOf(groupOn) >= 0;
  }
  function recompute() {
    visible = new Set();
    nodes.forEach(function (n) { if (nodeShown(n)) visible.add(n.id); });
  }
  recompute();
  var nodesView = new vis.DataView(nodes, {filter: function (n) { return visible.has(n.id); }});
  var edgesView = new vis.DataView(edges, {filter: function (e) {
    if (!visible.has(e.from) || !visible.has(e.to)) return false;
    return !groupOn || !e.g || e.g.indexOf(groupOn) >= 0;
  }});
  var container = document.getElementById("cg-network");
  var options = {
    autoResize: true,
    nodes: {scaling: {label: {enabled: false}}},
    edges: {smooth: data.big ? false : {type: "continuous"}, selectionWidth: 2, hoverWidth: 1.5},
    interaction: {hover: true, tooltipDelay: 120, hideEdgesOnDrag: data.big, navigationButtons: false,
                  keyboard: false, multiselect: false},
    physics: data.physics ? {
      enabled: true, solver: "forceAtlas2Based",
      forceAtlas2Based: {gravitationalConstant: -70, springLength: 110, springConstant: 0.06, avoidOverlap: 0.5},
      stabilization: {enabled: true, iterations: 500, updateInterval: 50, fit: true}, minVelocity: 1.5
    } : {enabled: false},
    layout: {randomSeed: 7, improvedLayout: data.physics && data.nodes.length < 150}
  };
  var network = new vis.Network(container, {nodes: nodesView, edges: edgesView}, options);
  window.cg = {network: network, nodes: nodes, edges: edges, nodesView: nodesView, edgesView: edgesView};
  if (data.physics) {
    network.once("stabilizationIterationsDone", function () { network.setOptions({physics: {enabled: false}}); ready(); });
    network.on("stabilized", function () { network.setOptions({physics: {enabled: false}}); ready(); });
  } else {
    network.once("afterDrawing", function () { ready(); });
  }
  var status = document.getElementById("cg-status");
  function showStatus() {
    status.textContent = "Showing " + nodesView.length + " of " + nodes.length + " nodes and " +
      edgesView.length + " of " + edges.length + " edges.";
  }
  function refresh() {
    recompute(); nodesView.refresh(); edgesView.refresh(); showStatus();
    // nodes a reader adds (ticking a kind) find their place, then physics stops again
    if (data.physics && window.cgReady) { network.setOptions({physics: {enabled: true}}); network.stabilize(200); }
  }
  showStatus();
  document.querySelectorAll("#cg-legend input[data-kind]").forEach(function (box) {
    box.addEventListener("change", function () { kindOn[box.getAttribute("data-kind")] = box.checked; refresh(); });
  });
  var groupSelect = document.getElementById("cg-group");
  groupSelect.addEventListener("change", function () { groupOn = groupSelect.value; refresh(); });
  var details = document.getElementById("cg-details-body");
  function showDetails(tip) {
    details.textContent = "";
    if (tip) details.appendChild(tipElement(tip));
  }
  function describeEdge(e) {
    if (e.tip) return e.tip;
    var a = nodes.get(e.from), b = nodes.get(e.to);
    var words = {CODED: "raised", MEMBER_OF: "is a member of", BASED_IN: "is based in", BROADER: "is part of"};
    return {title: (a ? a.label : e.from) + " \u2192 " + (b ? b.label : e.to),
            lines: [(words[e.kind] || e.kind) + (e.label ? " (" + e.label + ")" : "")]};
  }
  var labelled = [];
  function labelEdgesOf(ids) {
    if (data.labels === "all") return;
    var changes = labelled.map(function (id) { return {id: id, label: undefined}; });
    labelled = [];
    ids.forEach(function (id) {
      network.getConnectedEdges(id).forEach(function (edgeId) {
        var edge = edges.get(edgeId);
        if (edge && edge.fullLabel) { changes.push({id: edgeId, label: edge.fullLabel}); labelled.push(edgeId); }
      });
    });
    edges.update(changes);
  }
  network.on("selectNode", function (params) { labelEdgesOf(params.nodes); });
  network.on("deselectNode", function (params) { labelEdgesOf(params.nodes); });
  network.on("click", function (params) {
    if (params.nodes.length) { showDetails(nodes.get(params.nodes[0]).tip); }
    else if (params.edges.length) { showDetails(describeEdge(edges.get(params.edges[0]))); }
  });
  var find = document.getElementById("cg-find"), list = document.getElementById("cg-names"), byName = {};
  var names = [];
  nodes.forEach(function (n) {
    var name = n.label + " (" + ((style[n.kind] || {}).label || n.kind) + ")";
    if (!(name in byName)) { byName[name] = n.id; names.push(name); }
  });
  names.sort().forEach(function (name) { var option = document.createElement("option"); option.value = name; list.appendChild(option); });
  var findStatus = document.getElementById("cg-find-status");
  function go() {
    var text = find.value.trim(), id = byName[text];
    if (id === undefined) {
      var lower = text.toLowerCase();
      nodes.forEach(function (n) { if (id === undefined && String(n.label).toLowerCase() === lower) id = n.id; });
    }
    if (id === undefined) { findStatus.textContent = text ? "No node called \u201c" + text + "\u201d." : ""; return; }
    if (!visible.has(id)) {
      groupOn = ""; groupSelect.value = "";
      var kind = nodes.get(id).kind; kindOn[kind] = true;
      var box = document.querySelector('#cg-legend input[data-kind="' + kind + '"]'); if (box) box.checked = true;
      refresh();
    }
    findStatus.textContent = "";
    network.selectNodes([id]);
    labelEdgesOf([id]);
    network.focus(id, {scale: 1.1, animation: {duration: 300}});
    showDetails(nodes.get(id).tip);
  }
  find.addEventListener("change", go);
  find.addEventListener("keydown", function (event) { if (event.key === "Enter") go(); });
  document.getElementById("cg-reset").addEventListener("click", function () {
    groupOn = ""; groupSelect.value = "";
    document.querySelectorAll("#cg-legend input[data-kind]").forEach(function (box) {
      box.checked = true; kindOn[box.getAttribute("data-kind")] = true; });
    refresh(); network.unselectAll(); labelEdgesOf([]); network.fit();
  });
  window.cg.refresh = refresh;
  window.cg.find = function (text) { find.value = text; go(); };
})();

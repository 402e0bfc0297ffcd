// The dashboard's charts and map (Apache ECharts). Every figure drawn comes from the page: the
// panels' JSON (#dashboard-data) and the map's GeoJSON (data-map-url), both read from the same
// query layer as the overview API. The wall screen reloads itself every data-refresh seconds.
// ECharts is pinned at 6.0.0 in package.json: 6.1.0 throws from a map whose size is 0×0, as while
// a page unloads (apache/echarts#21706, fixed after that release).
(function () {
  "use strict";
  const root = document.querySelector("[data-dashboard]");
  const source = document.getElementById("dashboard-data");
  if (!root || !source || !window.echarts) {
    return;
  }
  const data = JSON.parse(source.textContent);
  const labels = data.labels;
  const theme = root.dataset.theme === "dark" ? "dark" : null;
  const background = theme ? "transparent" : null;
  const charts = [];

  // Tooltips are drawn on the canvas (richText), never as HTML: no inline style for the content
  // security policy to refuse, and no place name read as markup.
  function chart(element, option) {
    const instance = echarts.init(element, theme, { renderer: "canvas" });
    if (option.tooltip) {
      option.tooltip.renderMode = "richText";
    }
    instance.setOption(Object.assign({ backgroundColor: background }, option));
    charts.push(instance);
    return instance;
  }

  function place(name) {
    return document.querySelector('[data-chart="' + name + '"]');
  }

  const MODES = Object.keys(labels.modes);
  const MODE_COLOURS = {
    professional: "#4c78a8", owner_self: "#f58518", owner_unit: "#72b7b2", public: "#d62728", unmanaged: "#9d9d9d",
  };
  const STAR_COLOURS = ["#9e9e9e", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"];

  // Compounds by management mode.
  if (place("modes")) {
    chart(place("modes"), {
      tooltip: { trigger: "item" },
      series: [{
        type: "pie",
        radius: ["45%", "75%"],
        data: Object.keys(data.modes).filter(function (mode) { return data.modes[mode] > 0; }).map(function (mode) {
          return { name: labels.modes[mode], value: data.modes[mode], itemStyle: { color: MODE_COLOURS[mode] } };
        }),
      }],
    });
  }

  // Collection rate over twelve months.
  if (place("collection") && data.collection) {
    chart(place("collection"), {
      grid: { left: 40, right: 10, top: 10, bottom: 24 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.collection.map(function (row) { return row.period; }) },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{
        name: labels.collection,
        type: "line",
        data: data.collection.map(function (row) { return row.rate === null ? null : Number(row.rate) * 100; }),
      }],
    });
  }

  // Work orders reported and hours to verify over twelve months.
  if (place("work_orders") && data.work_orders) {
    chart(place("work_orders"), {
      grid: { left: 40, right: 40, top: 24, bottom: 24 },
      tooltip: { trigger: "axis" },
      legend: { data: [labels.created, labels.hours], top: 0 },
      xAxis: { type: "category", data: data.work_orders.map(function (row) { return row.period; }) },
      yAxis: [{ type: "value" }, { type: "value" }],
      series: [
        { name: labels.created, type: "bar", data: data.work_orders.map(function (row) { return row.created; }) },
        {
          name: labels.hours,
          type: "line",
          yAxisIndex: 1,
          data: data.work_orders.map(function (row) {
            return row.avg_hours_to_verify === null ? null : Number(row.avg_hours_to_verify);
          }),
        },
      ],
    });
  }

  // Compounds by star level.
  if (place("stars")) {
    const levels = Object.keys(data.stars);
    chart(place("stars"), {
      grid: { left: 40, right: 10, top: 10, bottom: 24 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: levels.map(function (level) { return labels.stars[level]; }) },
      yAxis: { type: "value" },
      series: [{
        name: labels.compounds,
        type: "bar",
        data: levels.map(function (level, index) {
          return { value: data.stars[level], itemStyle: { color: STAR_COLOURS[index] } };
        }),
      }],
    });
  }

  // The map: grids drawn as the background, compounds coloured by the chosen layer.
  const mapElement = document.querySelector("[data-map]");
  const buttons = Array.prototype.slice.call(document.querySelectorAll("[data-layer]"));

  function layerValue(props, layer) {
    if (layer === "mode") {
      return MODES.indexOf(props.mode);
    }
    if (layer === "stars") {
      return props.stars;
    }
    if (layer === "collection") {
      return props.collection_rate === null ? null : Number(props.collection_rate) * 100;
    }
    return props[layer];
  }

  function visualMap(layer, compounds) {
    const common = { left: 8, bottom: 8, textStyle: { color: theme ? "#ddd" : "#333" } };
    if (layer === "mode") {
      return Object.assign(common, {
        type: "piecewise",
        pieces: MODES.map(function (mode, index) {
          return { value: index, label: labels.modes[mode], color: MODE_COLOURS[mode] };
        }),
      });
    }
    if (layer === "stars") {
      return Object.assign(common, {
        type: "piecewise",
        pieces: STAR_COLOURS.map(function (colour, level) {
          return { value: level, label: labels.stars[String(level)], color: colour };
        }),
      });
    }
    if (layer === "collection") {
      return Object.assign(common, {
        type: "continuous", min: 0, max: 100, text: ["100%", "0%"], calculable: true,
        inRange: { color: ["#d73027", "#fee08b", "#1a9850"] },
      });
    }
    const top = compounds.reduce(function (most, feature) {
      return Math.max(most, feature.properties[layer] || 0);
    }, 0);
    return Object.assign(common, {
      type: "continuous", min: 0, max: Math.max(top, 1), calculable: true,
      inRange: { color: ["#e0f3f8", "#fdae61", "#a50026"] },
    });
  }

  function drawMap(geo) {
    echarts.registerMap("scope", geo);
    const compounds = geo.features.filter(function (f) { return f.properties.kind === "compound"; });
    const byName = {};
    geo.features.forEach(function (f) { byName[f.properties.name] = f.properties; });
    const instance = echarts.init(mapElement, theme, { renderer: "canvas" });
    charts.push(instance);
    mapElement.dataset.features = String(geo.features.length);

    function show(layer) {
      const title = labels[layer] || "";
      // The whole option each time (notMerge): the visual map changes kind between layers.
      instance.setOption({
        backgroundColor: background,
        tooltip: {
          trigger: "item",
          renderMode: "richText",
          formatter: function (params) {
            const props = byName[params.name];
            if (!props) {
              return "";
            }
            if (props.kind === "grid") {
              return props.label;
            }
            const value = layerValue(props, layer);
            let shown;
            if (layer === "mode") {
              shown = labels.modes[props.mode];
            } else if (layer === "stars") {
              shown = value === null ? labels.unrated : labels.stars[String(value)];
            } else if (value === null || value === undefined) {
              shown = labels.no_data;
            } else {
              shown = layer === "collection" ? value.toFixed(2) + "%" : String(value);
            }
            return props.label + "\n" + title + ": " + shown;
          },
        },
        visualMap: visualMap(layer, compounds),
        series: [{
          type: "map",
          map: "scope",
          roam: true,
          selectedMode: false,
          itemStyle: { areaColor: theme ? "#1b2640" : "#f1f3f5", borderColor: theme ? "#51607f" : "#adb5bd" },
          emphasis: { label: { show: false }, itemStyle: { areaColor: "#74c0fc" } },
          data: compounds.map(function (f) {
            return { name: f.properties.name, value: layerValue(f.properties, layer) };
          }),
        }],
      }, { notMerge: true });
      mapElement.dataset.layerShown = layer;
      buttons.forEach(function (button) {
        button.setAttribute("aria-pressed", button.dataset.layer === layer ? "true" : "false");
        button.classList.toggle("active", button.dataset.layer === layer);
      });
    }

    instance.on("click", function (params) {
      const props = byName[params.name];
      if (props && props.url) {
        window.location.href = props.url;
      }
    });
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        show(button.dataset.layer);
        // The layer goes into the address, so a reload (the wall screen's) keeps it.
        const url = new URL(window.location.href);
        url.searchParams.set("layer", button.dataset.layer);
        window.history.replaceState(null, "", url.toString());
      });
    });
    show(mapElement.dataset.layerNow || "mode");
  }

  if (mapElement) {
    fetch(mapElement.dataset.mapUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(drawMap);
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (instance) { instance.resize(); });
  });
  const refresh = Number(root.dataset.refresh || 0);
  if (refresh > 0) {
    window.setTimeout(function () { window.location.reload(); }, refresh * 1000);
  }
})();

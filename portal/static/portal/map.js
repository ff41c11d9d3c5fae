/* The maps of the patient pages: Leaflet from the project's own static files, tiles from a setting. */
window.DirectoryMap = (function () {
  "use strict";

  const US_CENTRE = [39.8, -98.6];

  function settings() {
    return JSON.parse(document.getElementById("map-config").textContent);
  }

  /* A map in `element`. When the tile server cannot be reached, tiles fail
     one by one and Leaflet leaves a grey background: markers still work. */
  function create(element) {
    const config = settings();
    const map = L.map(element, { scrollWheelZoom: false }).setView(US_CENTRE, 4);
    L.tileLayer(config.tileUrl, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
    return map;
  }

  /* A round numbered pin; its text is set as text, never parsed as HTML.
     `shift` moves the n-th pin at one address sideways, so colleagues at
     the same location each get a pin that can be seen and clicked. */
  function pin(label, shift) {
    const text = document.createElement("span");
    text.textContent = String(label);
    return L.divIcon({ className: "pin", html: text, iconSize: [28, 28], iconAnchor: [14 - 22 * (shift || 0), 14] });
  }

  function fit(map, layer) {
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [28, 28], maxZoom: 13 });
  }

  return { create, pin, fit };
})();

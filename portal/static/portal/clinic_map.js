/* A location's small map: its pin, and a click that sets the latitude and longitude fields. */
(function () {
  "use strict";

  const element = document.getElementById("location-map");
  if (!element) return;
  const point = JSON.parse(document.getElementById("map-point").textContent);
  const lat = document.getElementById("id_lat");
  const lon = document.getElementById("id_lon");
  const map = DirectoryMap.create(element);
  let marker = null;

  function place(latitude, longitude, title) {
    if (marker) marker.setLatLng([latitude, longitude]);
    else marker = L.marker([latitude, longitude], { icon: DirectoryMap.pin("1"), title: title, alt: title }).addTo(map);
  }

  if (point) {
    place(point.lat, point.lon, "This location");
    map.setView([point.lat, point.lon], 14);
  }
  map.on("click", (event) => {
    const latitude = Math.round(event.latlng.lat * 1e6) / 1e6;
    const longitude = Math.round(event.latlng.lng * 1e6) / 1e6;
    lat.value = latitude;
    lon.value = longitude;
    place(latitude, longitude, "New position");
    document.getElementById("map-note").textContent =
      "The pin will be saved at " + latitude + ", " + longitude + ". Empty the latitude and longitude to use the ZIP code's centre.";
  });
})();

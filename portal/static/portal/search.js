/* The search page: reads the form, asks the public search API, and shows the
   nearest practitioners as a numbered list and as the same numbers on the map. */
(function () {
  "use strict";

  const form = document.getElementById("search");
  const place = document.getElementById("place");
  const locateButton = document.getElementById("use-location");
  const message = document.getElementById("search-message");
  const count = document.getElementById("result-count");
  const list = document.getElementById("results");
  const more = document.getElementById("more");
  const map = DirectoryMap.create(document.getElementById("map"));
  const markers = L.featureGroup().addTo(map);
  const FILTERS = ["radius_mi", "specialty", "technique", "profession", "language"];

  let near = null; // "lat,lon" from the browser, used while the place box is empty
  let shown = []; // [{row, marker, spot}] in list order
  let active = null;
  let nextPage = null;
  let searched = false;
  let latest = 0; // the newest request; an older answer arriving late is dropped

  function say(text, kind) {
    message.textContent = text || "";
    message.className = "message" + (kind ? " " + kind : "");
    message.hidden = !text;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* The place parameter: 5 digits (ZIP+4 allowed) is zip=, "Name, ST" is city=. */
  function placeParameter() {
    const text = place.value.trim();
    if (!text) return near ? ["near", near] : null;
    const zip = text.match(/^(\d{5})(-\d{4})?$/);
    if (zip) return ["zip", zip[1]];
    const city = text.match(/^(.+?)\s*,\s*([A-Za-z]{2})$/);
    if (city) return ["city", city[1] + "," + city[2].toUpperCase()];
    return null;
  }

  function apiQuery(origin) {
    const params = new URLSearchParams();
    params.set(origin[0], origin[1]);
    for (const name of FILTERS) {
      const value = form.elements[name].value;
      if (value) params.set(name, value);
    }
    if (form.elements.accepting_new_patients.checked) params.set("accepting_new_patients", "true");
    return params;
  }

  /* The page's own address keeps the form (not a browser location), so Back from a profile returns here. */
  function rememberForm() {
    const params = new URLSearchParams();
    if (place.value.trim()) params.set("place", place.value.trim());
    for (const name of FILTERS) if (form.elements[name].value) params.set(name, form.elements[name].value);
    if (form.elements.accepting_new_patients.checked) params.set("accepting_new_patients", "true");
    history.replaceState(null, "", params.toString() ? "?" + params : location.pathname);
  }

  function restoreForm() {
    const params = new URLSearchParams(location.search);
    if (params.has("place")) place.value = params.get("place");
    for (const name of FILTERS) if (params.has(name)) form.elements[name].value = params.get(name);
    form.elements.accepting_new_patients.checked = params.get("accepting_new_patients") === "true";
    return params.has("place");
  }

  function highlight(index, scroll) {
    if (active !== null && shown[active]) {
      shown[active].row.classList.remove("active");
      shown[active].marker.getElement()?.classList.remove("active");
      shown[active].marker.setZIndexOffset(0);
    }
    active = index;
    const { row, marker } = shown[index];
    row.classList.add("active");
    marker.getElement()?.classList.add("active");
    marker.setZIndexOffset(1000);
    if (scroll) row.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function row(result, index) {
    const item = element("li", "result");
    item.dataset.index = String(index);
    item.tabIndex = 0;
    item.append(element("span", "rank", String(index + 1)));
    const body = element("div", "result-body");
    const title = element("h2");
    const link = element("a", null, result.name);
    link.href = "/practitioners/" + encodeURIComponent(result.slug) + "/";
    title.append(link);
    if (result.qualified) title.append(" ", element("span", "badge", "Verified"));
    body.append(title);
    body.append(element("p", "who", result.profession_name + " · " + result.location.clinic.name));
    const where = result.location;
    body.append(element("p", "where", where.address + ", " + where.city + ", " + where.state + " " + where.postal_code));
    const facts = element("p", "meta");
    facts.append(element("span", "distance", result.distance_mi.toFixed(1) + " mi"));
    facts.append(" · " + result.verified_training_hours + " h verified training");
    facts.append(" · " + (where.accepting_new_patients ? "Accepting new patients" : "Not taking new patients"));
    body.append(facts);
    if (result.specialties.length) {
      body.append(element("p", "treats", "Treats: " + result.specialties.map((term) => term.name).join(", ")));
    }
    item.append(body);
    return item;
  }

  function show(results) {
    for (const result of results) {
      const index = shown.length;
      const item = row(result, index);
      const spot = result.location.lat + "," + result.location.lon;
      const sameSpot = shown.filter((entry) => entry.spot === spot).length;
      const marker = L.marker([result.location.lat, result.location.lon], {
        icon: DirectoryMap.pin(index + 1, sameSpot),
        title: result.name,
        alt: result.name,
        keyboard: true,
      }).addTo(markers);
      marker.on("click", () => highlight(index, true));
      item.addEventListener("mouseenter", () => highlight(index, false));
      item.addEventListener("focus", () => highlight(index, false));
      item.addEventListener("click", (event) => {
        if (event.target.closest("a")) return;
        highlight(index, false);
        map.panTo(marker.getLatLng());
      });
      list.append(item);
      shown.push({ row: item, marker, spot });
    }
  }

  function problem(response, body) {
    if (response.status === 429) return "Too many searches at once. Wait a minute and try again.";
    const errors = (body && body.errors) || {};
    if (errors.zip) return errors.zip[0] + " Check the ZIP code, or search by City, ST instead.";
    if (errors.city) return errors.city[0] + " Check the spelling, or search by ZIP code instead.";
    return (body && body.detail) || "The search failed. Try again.";
  }

  async function load(url, append) {
    const mine = ++latest;
    say(append ? "" : "Searching…");
    let response, body;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" } });
      body = await response.json();
    } catch (error) {
      if (mine === latest) say("The search could not be reached. Check your connection and try again.", "error");
      return;
    }
    if (mine !== latest) return;
    if (!append) {
      list.replaceChildren();
      markers.clearLayers();
      shown = [];
      active = null;
    }
    if (!response.ok) {
      count.hidden = true;
      more.hidden = true;
      say(problem(response, body), "error");
      return;
    }
    show(body.results);
    nextPage = body.next;
    more.hidden = !nextPage;
    if (!shown.length) {
      count.hidden = true;
      say("No qualified practitioner found there. Try a wider radius or fewer filters.", "notice");
      return;
    }
    say("");
    count.textContent = shown.length + (shown.length === 1 ? " practitioner" : " practitioners") + ", nearest first";
    count.hidden = false;
    DirectoryMap.fit(map, markers);
  }

  function search() {
    const origin = placeParameter();
    if (!origin) {
      say(place.value.trim()
        ? "Enter a 5-digit ZIP code or a city as City, ST (for example Seattle, WA)."
        : "Enter a ZIP code or City, ST, or use your location.", "error");
      place.focus();
      return;
    }
    searched = true;
    rememberForm();
    load(form.dataset.api + "?" + apiQuery(origin), false);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  form.addEventListener("change", (event) => {
    // A filter changed after a search: search again at once.
    if (searched && event.target !== place && placeParameter()) search();
  });
  place.addEventListener("input", () => {
    near = null;
    place.placeholder = "98101 or Seattle, WA";
  });
  more.addEventListener("click", () => nextPage && load(nextPage, true));

  locateButton.addEventListener("click", () => {
    if (!navigator.geolocation) {
      say("This browser cannot share its location. Enter a ZIP code or City, ST.", "error");
      return;
    }
    say("Finding your location…");
    navigator.geolocation.getCurrentPosition(
      (position) => {
        near = position.coords.latitude.toFixed(5) + "," + position.coords.longitude.toFixed(5);
        place.value = "";
        place.placeholder = "Your location";
        search();
      },
      () => say("Your location is not available. Enter a ZIP code or City, ST.", "error"),
      { timeout: 10000, maximumAge: 600000 }
    );
  });

  if (restoreForm()) search();
})();

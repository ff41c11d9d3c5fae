/* The profile page: a small map of the practitioner's locations, and the
   consultation request form, sent to the API with fetch. */
(function () {
  "use strict";

  const mapElement = document.getElementById("profile-map");
  if (mapElement) {
    const map = DirectoryMap.create(mapElement);
    const markers = L.featureGroup().addTo(map);
    JSON.parse(document.getElementById("map-points").textContent).forEach((point, index) => {
      L.marker([point.lat, point.lon], { icon: DirectoryMap.pin(index + 1), title: point.label, alt: point.label }).addTo(markers);
    });
    DirectoryMap.fit(map, markers);
  }

  const form = document.getElementById("consultation");
  if (!form) return;
  const errorBox = document.getElementById("consult-errors");
  const confirmation = document.getElementById("consult-confirmation");
  const LABELS = { practitioner: "Practitioner", location: "Location", name: "Your name", email: "Email", phone: "Phone", message: "Message" };

  function showErrors(lines) {
    errorBox.replaceChildren(...lines.flatMap((line, i) => (i ? [document.createElement("br"), line] : [line])));
    errorBox.hidden = !lines.length;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = form.elements;
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    let response, body;
    try {
      response = await fetch(form.dataset.api, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": fields.csrfmiddlewaretoken.value,
        },
        credentials: "same-origin",
        body: JSON.stringify({
          practitioner: form.dataset.practitioner,
          location: Number(fields.location.value),
          name: fields.name.value,
          email: fields.email.value,
          phone: fields.phone.value,
          message: fields.message.value,
        }),
      });
      body = await response.json();
    } catch (error) {
      showErrors(["Your request could not be sent. Check your connection and try again."]);
      button.disabled = false;
      return;
    }
    button.disabled = false;
    if (response.ok) {
      showErrors([]);
      form.hidden = true;
      confirmation.textContent = body.detail;
      confirmation.hidden = false;
      confirmation.focus?.();
      return;
    }
    if (response.status === 429) {
      showErrors(["You have sent several requests recently. Please try again later, or call the clinic."]);
      return;
    }
    const errors = (body && body.errors) || {};
    const lines = [];
    for (const [field, messages] of Object.entries(errors)) {
      if (fields[field]) fields[field].setAttribute("aria-invalid", "true");
      lines.push((LABELS[field] || field) + ": " + [].concat(messages).join(" "));
    }
    showErrors(lines.length ? lines : [(body && body.detail) || "Your request could not be sent."]);
  });
})();

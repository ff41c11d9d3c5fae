/* The clinic workspace: a document picker that also takes a dropped file and checks its
   type and size before upload (the server checks both again), and a roster import's
   progress, polled until it ends. */
(function () {
  "use strict";

  const field = document.querySelector("[data-document]");
  if (field) {
    const input = field.querySelector("input[type=file]");
    const zone = field.querySelector(".dropzone");
    const chosen = document.getElementById("dropzone-file");
    const error = document.getElementById(input.id + "-errors");
    const maxBytes = Number(field.dataset.maxBytes);
    const types = field.dataset.types.split(" ");
    const form = input.form;

    function problem(file) {
      if (!file) return "";
      const extension = (file.name.split(".").pop() || "").toLowerCase();
      if (!file.name.includes(".") || !types.includes(extension)) return "Choose a PDF, PNG or JPEG document.";
      if (file.size === 0) return "The file is empty.";
      if (file.size > maxBytes) return "The document is larger than " + Math.round(maxBytes / 1048576) + " MB.";
      return "";
    }

    function check() {
      const file = input.files[0];
      const message = problem(file);
      chosen.textContent = file ? file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)" : "No file chosen.";
      error.textContent = message;
      error.hidden = !message;
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      return !message;
    }

    input.addEventListener("change", check);
    ["dragenter", "dragover"].forEach((type) =>
      zone.addEventListener(type, (event) => {
        event.preventDefault();
        zone.classList.add("dragging");
      })
    );
    ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("dragging")));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (!event.dataTransfer.files.length) return;
      const files = new DataTransfer();
      files.items.add(event.dataTransfer.files[0]);
      input.files = files.files;
      check();
    });
    form.addEventListener("submit", (event) => {
      if (!check()) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  const job = document.getElementById("job");
  if (job && job.dataset.running === "true") {
    const status = document.getElementById("job-status");
    const bar = document.getElementById("job-progress");
    const poll = async () => {
      let body;
      try {
        const response = await fetch(job.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        body = await response.json();
      } catch (error) {
        setTimeout(poll, 3000);
        return;
      }
      if (body.finished) {
        window.location.reload();
        return;
      }
      status.textContent = body.status_label + ": " + body.rows_done + " of " + body.rows_total + " rows";
      if (bar) {
        bar.max = body.rows_total;
        bar.value = body.rows_done;
      }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 500);
  }
})();

// The policy editor: drag policies from the palette into a flow, reorder them by dragging or with
// the up/down buttons, and post each flow's order in its hidden "order-<flow>" field.
(function () {
  "use strict";
  let counter = 0;
  let dragged = null;

  function fresh(templateId) {
    const template = document.getElementById(templateId);
    if (!template) return null;
    counter += 1;
    const id = "n" + Date.now().toString(36) + counter;
    const holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.split("__ID__").join(id);
    return holder.firstElementChild;
  }

  function accepts(list, paletteItem) {
    return (paletteItem.dataset.flows || "").split(",").indexOf(list.dataset.flow) >= 0;
  }

  function after(list, y) {
    const items = Array.from(list.querySelectorAll(":scope > .policy-item:not(.dragging)"));
    for (const item of items) {
      const box = item.getBoundingClientRect();
      if (y < box.top + box.height / 2) return item;
    }
    return null;
  }

  function serialise(form) {
    form.querySelectorAll("input.order").forEach(function (field) {
      const list = form.querySelector('ol.flow[data-flow="' + field.dataset.flow + '"]');
      const ids = list ? Array.from(list.querySelectorAll(":scope > .policy-item")).map(function (li) { return li.dataset.id; }) : [];
      field.value = ids.join(",");
    });
  }

  function setup(editor) {
    const form = editor.closest("form");
    editor.addEventListener("dragstart", function (event) {
      const target = event.target.closest(".policy-item, .palette-item");
      if (!target) return;
      dragged = target;
      target.classList.add("dragging");
      event.dataTransfer.effectAllowed = target.classList.contains("palette-item") ? "copy" : "move";
      event.dataTransfer.setData("text/plain", target.dataset.name || "");
    });
    editor.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      editor.querySelectorAll("ol.flow.over").forEach(function (l) { l.classList.remove("over"); });
      dragged = null;
    });
    editor.querySelectorAll("ol.flow").forEach(function (list) {
      const box = list.closest(".flow-box") || list;
      box.addEventListener("dragover", function (event) {
        if (!dragged) return;
        if (dragged.classList.contains("palette-item") && !accepts(list, dragged)) return;
        event.preventDefault();
        list.classList.add("over");
      });
      box.addEventListener("dragleave", function () { list.classList.remove("over"); });
      box.addEventListener("drop", function (event) {
        if (!dragged) return;
        event.preventDefault();
        list.classList.remove("over");
        let item = dragged;
        if (dragged.classList.contains("palette-item")) {
          if (!accepts(list, dragged)) return;
          item = fresh(dragged.dataset.template);
          if (!item) return;
        }
        list.insertBefore(item, after(list, event.clientY));
        serialise(form);
      });
    });
    editor.addEventListener("click", function (event) {
      const button = event.target.closest("button");
      if (!button) return;
      const item = button.closest(".policy-item");
      if (button.classList.contains("add-to")) {
        const list = editor.querySelector('ol.flow[data-flow="' + button.dataset.flow + '"]');
        const created = fresh(button.closest(".palette-item").dataset.template);
        if (list && created) { list.appendChild(created); created.querySelector("button.move-up").focus(); }
      } else if (item && button.classList.contains("move-up") && item.previousElementSibling) {
        item.parentNode.insertBefore(item, item.previousElementSibling);
        button.focus();
      } else if (item && button.classList.contains("move-down") && item.nextElementSibling) {
        item.parentNode.insertBefore(item.nextElementSibling, item);
        button.focus();
      } else if (item && button.classList.contains("remove")) {
        item.remove();
      }
      serialise(form);
    });
    form.addEventListener("submit", function () { serialise(form); });
    serialise(form);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".policy-editor").forEach(setup);
  });
})();

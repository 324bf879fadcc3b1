// Copy buttons (data-copy holds the text). Without JavaScript, or when the clipboard is
// refused, the link stays in a read-only field to select and copy by hand.
"use strict";
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = "Copied";
    } catch (refused) {
      const field = document.querySelector(".copy-source");
      field.focus();
      field.select();
      button.textContent = "Press Ctrl+C";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
}
for (const field of document.querySelectorAll(".copy-source")) {
  field.addEventListener("focus", () => field.select());
}

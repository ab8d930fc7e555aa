// Loaded only by a browser without ES modules (<script nomodule>): none of the page's own
// scripts will run there, so show the sentence that says so. ES5 on purpose.
(function () {
  var note = document.getElementById('too-old');
  if (note) note.removeAttribute('hidden');
})();

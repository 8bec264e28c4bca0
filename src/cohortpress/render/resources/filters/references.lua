--[[
references.lua: the citations, and where the bibliography goes when the manuscript does not say.

citeproc writes the reference list into the div #refs; without one it would append the list,
untitled, after everything, the appendices included. When the manuscript cites and has no
#refs div, this filter adds a "References" section before the first appendix section (a heading with the class
`appendix`, as Quarto marks them), else at the end, at the level of the document's top
headings. Runs after crossref.lua (whose references are no longer citations).

Then it runs citeproc (the embedded engine does not pass --citeproc), but only on a document
that cites, lists uncited references (nocite) or places the list (#refs): on any other, as the
supplement and the data report, citeproc changes nothing and costs a third of pandoc's pass.
]]

function Pandoc(doc)
  local has_refs, cites = false, false
  doc:walk({
    Div = function(div)
      if div.identifier == "refs" then has_refs = true end
    end,
    Cite = function()
      cites = true
    end,
  })
  if not cites and not has_refs and doc.meta.nocite == nil then
    return nil
  end
  if has_refs or not cites then
    return pandoc.utils.citeproc(doc)
  end
  local level, at = nil, #doc.blocks + 1
  for i, block in ipairs(doc.blocks) do
    if block.t == "Header" then
      level = math.min(level or block.level, block.level)
      if at > #doc.blocks and block.classes:includes("appendix") then
        at = i
      end
    end
  end
  doc.blocks:insert(at, pandoc.Div({}, pandoc.Attr("refs")))
  doc.blocks:insert(at, pandoc.Header(level or 1, "References", pandoc.Attr("references", { "unnumbered" })))
  return pandoc.utils.citeproc(doc)
end

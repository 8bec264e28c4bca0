--[[
vector.lua: cohortpress's figures from their SVG in the HTML page and the PDF, in both engines.

cohortpress draws each figure as the files its run's formats set (artefacts.FIGURE_FILE): the
SVG for the HTML page and the PDF, a 300 dpi PNG for Word. Its Markdown names the PNG and
marks the image `cp-vector`; this filter sets the SVG instead, when it is staged: lines and
text stay sharp at any zoom, the file is half the PNG's size, and no pixels are drawn for
it. An image not marked, or marked without an SVG beside it, is set as it is. In the embedded
engine it runs before confine.lua, which then checks the SVG (not the PNG, which a run of HTML
alone does not draw) and admits it as an SVG only for an image marked so; Word keeps the PNG.

The SVG must be a file of the staging folder: the embedded engine lists them in
COHORTPRESS_FILES (as for confine.lua); under Quarto, which has no such list, it must exist.
]]

local LISTED = os.getenv("COHORTPRESS_FILES")
local STAGED = {}
for line in (LISTED or ""):gmatch("[^\n]+") do
  STAGED[line] = true
end

local function staged(path)
  if LISTED ~= nil then
    return STAGED[path] == true
  end
  local file = io.open(path, "rb")
  if file == nil then
    return false
  end
  file:close()
  return true
end

return {
  {
    Image = function(image)
      if not image.classes:includes("cp-vector") then
        return nil
      end
      local svg, swapped = image.src:gsub("%.png$", ".svg")
      if swapped == 1 and staged(svg) then
        image.src = svg
        return image
      end
    end,
  },
}
